import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  roles: ['support', 'billing', 'support'],
})
