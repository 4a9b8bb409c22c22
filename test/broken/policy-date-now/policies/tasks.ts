import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  tasks: {
    read: (task) => Date.now() > 0 && task.priority > 1,
  },
})
