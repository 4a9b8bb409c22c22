import { defineConfig, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export const config = defineConfig({ name: 'koya-tasks', tables: { tasks } })
