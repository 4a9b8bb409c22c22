import { defineConfig, table, t } from 'koyalite'

const people = table('people', {
  firstName: t.text().renamedFrom('name'),
  lastName: t.text().renamedFrom('name'),
})

export default defineConfig({ name: 'people', tables: { people } })
