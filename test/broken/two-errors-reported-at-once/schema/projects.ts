import { table, t } from 'koyalite'

export const projects = table('projects', {
  name: t.text().min(1).max(120),
  archived: t.bool().default(false),
}, {
  search: { text: ['name', 'description'] as any },
})
