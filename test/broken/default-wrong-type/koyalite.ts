import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', {
  title: t.text(),
  estimate: t.int().default('five'),
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
