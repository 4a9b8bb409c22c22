import { defineConfig, table, t } from 'koyalite'

const orders = table('orders', {
  orderNumber: t.id(),
  total: t.real(),
})

export default defineConfig({ name: 'shop', tables: { orders } })
