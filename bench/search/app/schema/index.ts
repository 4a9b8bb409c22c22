import { table, t } from 'koyalite'

export const users = table.users({})

/** Both indexes: full-text over title and body, vectors of the body. */
export const notes = table(
  'notes',
  {
    ownerId: t.ref(() => users),
    title: t.text().max(200),
    body: t.text().max(2000).optional(),
    shared: t.bool().default(false),
  },
  { search: { text: ['title', 'body'], semantic: ['body'] } },
)

/** Vectors only. */
export const quotes = table('quotes', { text: t.text().max(2000) }, { search: { semantic: ['text'] } })
