import { defineConfig, table, t } from 'koyalite'

const registry: Record<string, any> = {}

const tasks = table('tasks', {
  title: t.text(),
  projectId: t.ref(() => registry.projects),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
