export { users } from './users'
