import { defineConfig, table, t } from 'koyalite'

const posts = table('posts', {
  slug: t.text().index(),
  title: t.text(),
}, {
  indexes: [['title'], ['slug']],
})

export default defineConfig({ name: 'blog', tables: { posts } })
