import { defineConfig, env, table, t, webhook } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  webhooks: {
    taskDone: webhook({
      table: 'task',
      on: ['update'],
      url: env('TASK_WEBHOOK_URL'),
    }),
  },
})
