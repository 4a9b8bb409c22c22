import { defineConfig } from 'koyalite'
import * as tables from './schema'
import policies from './policies/tasks'

export default defineConfig({ name: 'broken', tables, policies, roles: ['support'] })
