import { table, t } from 'koyalite'

export const users = table.users({ displayName: t.text().max(80) })
