import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  auth: {
    email: true,
    session: { idleTimeout: '14d', absoluteTimeout: '7d' },
  },
})
