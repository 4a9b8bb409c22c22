import { table, t } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

export default { name: 'koya-tasks', tables: { tasks } }
