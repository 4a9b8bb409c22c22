import { defineConfig, table, t } from 'koyalite'

const users = table.users({
  email: t.text().optional(),
})

export default defineConfig({ name: 'koya-tasks', tables: { users } })
