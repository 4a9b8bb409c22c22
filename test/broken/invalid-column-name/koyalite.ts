import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  'due-at': t.timestamp().optional(),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
