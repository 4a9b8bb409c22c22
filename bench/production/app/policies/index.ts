// Deny by default: what is not listed here is open only to the service key.
import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  users: {
    read: (user, auth) => user.id === auth.userId,
  },
  posts: {
    read: (post) => post.published === true,
    create: (post, auth) => post.authorId === auth.userId,
  },
})
