import { defineConfig, table, t } from 'koyalite'

const notes = table('notes', {
  title: t.text(),
  body: t.text().optional(),
}, {
  search: { text: ['title', 'content'], semantic: ['body'] },
})

export default defineConfig({ name: 'notes', tables: { notes } })
