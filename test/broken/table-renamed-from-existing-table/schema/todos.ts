import { table, t } from 'koyalite'

export const todos = table('todos', { title: t.text() })
