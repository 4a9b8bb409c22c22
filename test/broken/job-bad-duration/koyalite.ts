import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  jobs: {
    digest: job({
      timeout: '1.5s',
      run: async () => {},
    }),
  },
})
