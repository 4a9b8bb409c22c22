// The reference app's policies, one file per area; defineConfig takes them as one array.
import comments from './comments'
import projects from './projects'
import tasks from './tasks'
import users from './users'
import workspaces from './workspaces'

export default [users, workspaces, projects, tasks, comments]
