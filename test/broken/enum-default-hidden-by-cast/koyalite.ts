import { defineConfig, table, t } from 'koyalite'

const fallback = 'archived' as any

const tasks = table('tasks', {
  title: t.text(),
  status: t.enum(['todo', 'doing', 'done']).default(fallback),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
