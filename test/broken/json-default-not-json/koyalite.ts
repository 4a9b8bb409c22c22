import { defineConfig, table, t } from 'koyalite'

const counters = table('counters', {
  key: t.text().unique(),
  // A BigInt cannot be written as JSON.
  state: t.json().default({ hits: 10n }),
})

export default defineConfig({ name: 'counters', tables: { counters } })
