import { defineConfig, table, t } from 'koyalite'

const stats = table('sqlite_stats', {
  hits: t.int().default(0),
})

export default defineConfig({ name: 'koya-tasks', tables: { stats } })
