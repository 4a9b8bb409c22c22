import { policies } from 'koyalite'
import * as schema from '../schema'

import type { PolicyAuth } from 'koyalite'

const isCreator = (task: { createdBy: string }, auth: PolicyAuth) => task.createdBy === auth.userId

export default policies(schema, {
  tasks: {
    read: isCreator,
  },
})
