// Koya Tasks: the reference app. Workspaces have members (owner, editor, viewer), projects,
// tasks and comments. Edit this file, schema/ or policies/, then run `koyalite generate`.
import { z } from 'zod'
import { defineConfig, env, fn } from 'koyalite'
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
  functions: {
    // functions/project-summary.ts, on Deno: POST /functions/projectSummary, koya.functions.projectSummary().
    projectSummary: fn({
      file: 'functions/project-summary.ts',
      input: z.object({ projectId: z.string() }),
      output: z.object({ total: z.number().int(), todo: z.number().int(), doing: z.number().int(), done: z.number().int(), overdue: z.number().int() }),
      timeout: '5s',
    }),
  },
})
