import { defineConfig, fn, table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default defineConfig({
  name: 'koya-tasks',
  tables: { tasks },
  functions: {
    report: fn({
      file: 'functions/report.ts',
      env: ['REPORT_TOKEN', 'KOYA_SERVICE_KEY'],
    }),
  },
})
