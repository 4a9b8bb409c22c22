import { defineConfig, table, t } from 'koyalite'

const workItems = table('WorkItems', {
  title: t.text(),
})

export default defineConfig({ name: 'koya-tasks', tables: { workItems } })
