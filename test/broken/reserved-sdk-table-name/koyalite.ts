import { defineConfig, table, t } from 'koyalite'

export const search = table('search', { query: t.text() })

export default defineConfig({ name: 'koya-tasks', tables: { search } })
