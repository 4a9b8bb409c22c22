import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  auth: {
    email: { verify: true },
    session: { idleTimeout: '30m', absoluteTimout: '7d' },
  },
})
