import { defineConfig, table, t } from 'koyalite'

const users = table.users({})

const projects = table('projects', {
  name: t.text(),
  ownerId: t.ref(() => users),
})

const tasks = table('tasks', {
  title: t.text(),
  projectId: t.ref(() => projects, { inverse: 'owner' }),
})

export default defineConfig({ name: 'koya-tasks', tables: { users, projects, tasks } })
