import { defineConfig, table, t } from 'koyalite'

const columns = ['slug'] as any

const posts = table('posts', {
  title: t.text(),
  body: t.text(),
}, {
  indexes: [['title'], { columns, unique: true }],
})

export default defineConfig({ name: 'blog', tables: { posts } })
