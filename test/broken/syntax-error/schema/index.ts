export { tasks } from './tasks'
