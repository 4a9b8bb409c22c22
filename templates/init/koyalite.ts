// Your app, described in one typed file. Edit it (or schema/), then `npx koyalite generate`;
// `npx koyalite dev` does that on every save and serves the app.
import { defineConfig } from 'koyalite'
import * as tables from './schema'
import policies from './policies'

export default defineConfig({
  name: '{{name}}',
  tables,
  policies,
  roles: ['admin'],
})
