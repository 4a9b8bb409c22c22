import { table, t } from 'koyalite'

// Copied from tasks.ts and the name was never changed.
export const todos = table('tasks', {
  title: t.text(),
  done: t.bool().default(false),
})
