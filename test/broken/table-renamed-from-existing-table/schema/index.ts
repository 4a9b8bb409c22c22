export { todos } from './todos'
export { tasks } from './tasks'
