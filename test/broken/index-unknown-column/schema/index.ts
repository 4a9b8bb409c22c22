export { projects } from './projects'
export { tasks } from './tasks'
