import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  jobs: {
    digest: job({
      retry: { attempts: 3, initialDelay: '1h', maxDelay: '10m' },
      run: async () => {},
    }),
  },
})
