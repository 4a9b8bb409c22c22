import { defineConfig } from 'koyalite'
import * as tables from './schema'
import type { PoliciesDef } from 'koyalite'
import tasks from './policies/tasks'

const everyoneReadsProjects: PoliciesDef = { kind: 'policies', rules: { projects: { read: () => true } } }

export default defineConfig({ name: 'broken', tables, policies: [tasks, everyoneReadsProjects], roles: ['support'] })
