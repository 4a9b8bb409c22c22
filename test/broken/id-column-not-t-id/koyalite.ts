import { defineConfig, table, t } from 'koyalite'

const countries = table('countries', {
  id: t.text(),
  name: t.text(),
})

export default defineConfig({ name: 'atlas', tables: { countries } })
