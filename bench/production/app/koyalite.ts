// The production benchmark's app (issue 21): posts by users, readable when published, created
// by their author. Edit it, then run `node ../../../bin/koyalite.js generate` in this folder.
import { defineConfig } from 'koyalite'
import * as tables from './schema'
import policies from './policies'

export default defineConfig({
  name: 'bench-production',
  tables,
  policies,
  roles: ['admin'],
  // No email verification, so POST /auth/signup and /auth/login hand out a session at once.
  auth: { email: true },
})
