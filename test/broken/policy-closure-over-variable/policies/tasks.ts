import { policies } from 'koyalite'
import * as schema from '../schema'

const boss = 'user-1'

export default policies(schema, {
  tasks: {
    read: (task) => task.createdBy === boss,
  },
})
