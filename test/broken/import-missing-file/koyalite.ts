import { defineConfig } from 'koyalite'
import { tasks } from './schema/task'

export default defineConfig({ name: 'koya-tasks', tables: { tasks } })
