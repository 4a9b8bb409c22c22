import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

const digest = job({
  cron: '0 8 * * *',
  timezone: 'Europe/Pariss',
  run: async () => {},
})

export default defineConfig({ name: 'koya-tasks', tables: { tasks }, jobs: { digest } })
