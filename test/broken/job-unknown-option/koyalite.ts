import { defineConfig, job, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  jobs: {
    digest: job({
      // A typo the types catch too: the compiler reports the unknown key where it is written.
      schedule: '0 8 * * *',
      run: async () => {},
    } as Parameters<typeof job>[0]),
  },
})
