import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  priority: t.int().min(1).max(5).default(10),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
