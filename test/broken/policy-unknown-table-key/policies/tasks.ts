import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  taks: {
    read: () => true,
  },
})
