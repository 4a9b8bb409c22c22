import { defineConfig, fn, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  functions: {
    checkout: fn({ file: 'functions/checkout.ts', allowNet: ['api.stripe.com'] }),
  },
})
