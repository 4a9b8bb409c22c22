export { tasks } from './tasks'
export { todos } from './todos'
