import { defineConfig, table, t, webhook } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  webhooks: {
    taskDone: webhook({
      table: 'tasks',
      on: ['update'],
      url: 'https://hooks.example.com/tasks',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  },
})
