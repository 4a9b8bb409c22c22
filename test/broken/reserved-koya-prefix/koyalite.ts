import { defineConfig, table, t } from 'koyalite'

const sessions = table('_koya_sessions', {
  token: t.text().unique(),
})

export default defineConfig({ name: 'koya-tasks', tables: { sessions } })
