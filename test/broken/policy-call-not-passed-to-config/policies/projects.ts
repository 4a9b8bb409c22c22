import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  projects: { read: (project, auth) => project.ownerId === auth.userId },
})
