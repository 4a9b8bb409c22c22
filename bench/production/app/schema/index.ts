export { users } from './users'
export { posts } from './posts'
