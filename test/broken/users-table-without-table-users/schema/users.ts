import { table, t } from 'koyalite'

export const users = table('users', {
  email: t.text().unique(),
  displayName: t.text().max(80),
})
