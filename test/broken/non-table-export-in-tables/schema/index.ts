export { tasks } from './tasks'
export const PAGE_SIZE = 50
