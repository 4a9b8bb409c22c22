import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  jobs: {
    digest: job({
      cron: '61 8 * * *',
      run: async () => {},
    }),
  },
})
