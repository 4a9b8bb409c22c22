import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  status: t.enum(['todo', 'done']).default('todo'),
}, {
  index: [['status']],
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
