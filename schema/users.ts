import { table, t } from 'koyalite'

/** The auth-managed users table, extended with the app's own columns. */
export const users = table.users({
  displayName: t.text().min(1).max(80).personal(),
  avatarPath: t.text().optional(),
})
