import { defineConfig, table, t } from 'koyalite'

const projects = table('projects', {
  name: t.text(),
  tasks: t.int().default(0),
})

const tasks = table('tasks', {
  projectId: t.ref(() => projects, { onDelete: 'cascade' }),
  title: t.text(),
})

export default defineConfig({ name: 'koya-tasks', tables: { projects, tasks } })
