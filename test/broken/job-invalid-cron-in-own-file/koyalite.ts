import { defineConfig, table, t } from 'koyalite'
import { digest } from './jobs/digest'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({ name: 'koya-tasks', tables: { tasks }, jobs: { digest } })
