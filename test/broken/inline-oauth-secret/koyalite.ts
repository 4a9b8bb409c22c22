import { defineConfig, env } from 'koyalite'
import * as tables from './schema'

export default defineConfig({
  name: 'koya-tasks',
  tables,
  auth: {
    oauth: {
      github: { clientId: env('GITHUB_CLIENT_ID'), clientSecret: 'ghs_3f9a0c1d2e' },
    },
  },
})
