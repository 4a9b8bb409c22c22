export { users } from './users'
export { tasks } from './tasks'
