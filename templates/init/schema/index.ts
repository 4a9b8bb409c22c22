export { users } from './users'
export { notes } from './notes'
