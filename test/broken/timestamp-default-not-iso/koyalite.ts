import { defineConfig, table, t } from 'koyalite'

const events = table('events', {
  title: t.text(),
  startsAt: t.timestamp().default('next monday'),
})

export default defineConfig({ name: 'calendar', tables: { events } })
