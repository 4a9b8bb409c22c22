import { defineConfig } from 'koyalite'
import * as tables from './schema'
import tasks from './policies/tasks'
import moreTasks from './policies/more-tasks'

export default defineConfig({ name: 'broken', tables, policies: [tasks, moreTasks], roles: ['support'] })
