import { defineConfig, env, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  auth: {
    oauth: {
      google: { clientId: env('GOOGLE-CLIENT-ID'), clientSecret: env('GOOGLE_CLIENT_SECRET') },
    },
  },
})
