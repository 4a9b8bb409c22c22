import { table, t } from 'koyalite'

export const tasks = table('tasks', { title: t.text() })
