import { defineConfig } from 'koyalite'
import * as tables from './schema'

export default defineConfig({
  name: 'koya-tasks',
  tables,
  auth: {
    // Entries are absolute http(s) URLs without a query: both of these are refused.
    redirects: ['/after-login', 'https://app.example.com/done?next=1'],
  },
})
