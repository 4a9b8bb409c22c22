import { defineConfig, table, t } from 'koyalite'

export const tasks = table('tasks', { title: t.text() })
export const wheres = table('wheres', { place: t.text() })

export default defineConfig({ name: 'koya-tasks', tables: { tasks, wheres } })
