import { defineConfig, env, table, t, webhook } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  webhooks: {
    taskAdded: webhook({
      table: 'tasks',
      // @ts-expect-error: 'insert' is not an operation; the compiler still names it
      on: ['insert'],
      url: env('TASK_WEBHOOK_URL'),
    }),
  },
})
