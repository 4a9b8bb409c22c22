import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  status: t.enum(['todo', 'doing', 'todo']),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
