import { defineConfig, table, t } from 'koyalite'

const projects = table('projects', { name: t.text() })

const tasks = table('tasks', {
  projectId: t.ref(() => projects),
  // The ref above already gives the relation "project".
  project: t.text().optional(),
})

export default defineConfig({ name: 'koya-tasks', tables: { projects, tasks } })
