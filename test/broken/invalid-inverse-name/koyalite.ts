import { defineConfig, table, t } from 'koyalite'

const users = table.users({ displayName: t.text() })

const tasks = table('tasks', {
  title: t.text(),
  assigneeId: t.ref(() => users, { inverse: 'assigned-tasks' }).optional(),
})

export default defineConfig({ name: 'koya-tasks', tables: { users, tasks } })
