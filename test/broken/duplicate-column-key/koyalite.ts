import { defineConfig, table, t } from 'koyalite'

const posts = table('posts', {
  slug: t.text().unique(),
  title: t.text(),
  slug: t.text(),
})

export default defineConfig({ name: 'blog', tables: { posts } })
