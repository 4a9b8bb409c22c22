import { table, t } from 'koyalite'

/** The auth-managed users table: id, email, emailVerified, createdAt, updatedAt, plus these. */
export const users = table.users({
  displayName: t.text().max(80).optional(),
})
