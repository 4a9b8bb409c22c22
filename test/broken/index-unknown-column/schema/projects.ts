import { table, t } from 'koyalite'

export const projects = table('projects', {
  name: t.text(),
})
