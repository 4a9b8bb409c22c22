import { defineConfig, table, t } from 'koyalite'

const projects = table('projects', { name: t.text() })

const tasks = table('tasks', {
  projectId: t.ref('projekts'),
  title: t.text(),
})

export default defineConfig({ name: 'koya-tasks', tables: { projects, tasks } })
