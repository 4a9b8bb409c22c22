import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  tasks: {
    read: (task, auth) => auth.roles.includes('superuser'),
  },
})
