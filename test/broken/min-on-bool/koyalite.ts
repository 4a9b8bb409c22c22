import { defineConfig, table, t } from 'koyalite'

const flags = table('flags', {
  key: t.text().unique(),
  enabled: t.bool().min(1),
})

export default defineConfig({ name: 'flags', tables: { flags } })
