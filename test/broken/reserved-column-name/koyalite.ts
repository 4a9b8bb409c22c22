import { defineConfig, table, t } from 'koyalite'

const columns = table('columns', {
  title: t.text(),
  order: t.int().default(0),
})

export default defineConfig({ name: 'kanban', tables: { columns } })
