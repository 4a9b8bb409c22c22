import { defineConfig, table, t } from 'koyalite'

const users = table.users({
  displayName: t.text().min(80).max(3),
})

export default defineConfig({ name: 'koya-tasks', tables: { users } })
