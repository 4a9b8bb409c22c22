import { defineConfig, table, t } from 'koyalite'

const products = table('products', {
  name: t.text(),
  price: t.real().min(0),
}, {
  search: { text: ['name', 'price'] },
})

export default defineConfig({ name: 'shop', tables: { products } })
