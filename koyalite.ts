// Koya Tasks: the reference app. Workspaces have members (owner, editor, viewer), projects,
// tasks and comments. Edit this file, schema/ or policies/, then run `koyalite generate`.
import { defineConfig, env } from 'koyalite'
import * as tables from './schema'
import policies from './policies'

export default defineConfig({
  name: 'koya-tasks',
  tables,
  policies,
  roles: ['admin', 'support'],
  auth: {
    email: { verify: true },
    oauth: { github: { clientId: env('GITHUB_CLIENT_ID'), clientSecret: env('GITHUB_CLIENT_SECRET') } },
    session: { idleTimeout: '30m', absoluteTimeout: '7d' },
  },
})
