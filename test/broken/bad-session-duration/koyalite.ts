import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  auth: {
    session: { idleTimeout: '30 minutes', absoluteTimeout: '7d' },
  },
})
