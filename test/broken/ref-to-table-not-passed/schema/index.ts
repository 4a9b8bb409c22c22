// projects is declared but never exported here, so defineConfig never sees it.
export { tasks } from './tasks'
