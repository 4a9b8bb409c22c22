import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  notes: 'text' as any,
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
