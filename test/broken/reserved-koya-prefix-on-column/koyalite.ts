import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  _koya_owner: t.text().optional(),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
