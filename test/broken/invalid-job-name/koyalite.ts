import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  jobs: {
    'daily-digest': job({ cron: '0 8 * * *', run: async () => {} }),
  },
})
