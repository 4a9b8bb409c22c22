import { defineConfig } from 'koyalite'
import * as tables from './schema'

export default defineConfig({ name: 'koya-tasks', tables })
