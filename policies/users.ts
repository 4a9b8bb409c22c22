import { policies } from 'koyalite'
import * as schema from '../schema'

// Users sign up through /auth, so no one creates or deletes them through the API.
export default policies(schema, {
  users: {
    read: (user, auth) => user.id === auth.userId || auth.roles.includes('admin'),
    update: (user, auth) => user.id === auth.userId,
  },
})
