import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  createdAt: t.createdAt().default('2026-01-01T00:00:00.000Z'),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
