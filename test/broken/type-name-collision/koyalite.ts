import { defineConfig, table, t } from 'koyalite'

export const tasks = table('tasks', { title: t.text() })
export const task = table('task', { title: t.text() })

export default defineConfig({ name: 'koya-tasks', tables: { tasks, task } })
