// Who may read and write what. Deny by default: an operation without a rule is open only to
// the service key. Each rule is a typed predicate over the row (with its relations) and the
// caller (`auth.userId` is null when signed out); `koyalite generate` compiles it to SQL and
// lists every rule in generated/access.md.
import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  users: {
    read: (user, auth) => user.id === auth.userId || auth.roles.includes('admin'),
    update: (user, auth) => user.id === auth.userId,
  },
  notes: {
    read: (note, auth) => note.authorId === auth.userId,
    create: (note, auth) => note.authorId === auth.userId,
    update: (note, auth) => note.authorId === auth.userId,
    delete: (note, auth) => note.authorId === auth.userId || auth.roles.includes('admin'),
  },
})
