// bench/search: the semantic fixture (test/fixtures/semantic) with 384-dimension vectors, the
// issue's size. Rows' vectors are seeded straight into SQLite; the provider embeds queries only.
import { defineConfig, env, policies } from 'koyalite'
import * as tables from './schema'

export default defineConfig({
  name: 'search-bench',
  tables,
  auth: { email: { verify: false } },
  policies: policies(tables, {
    notes: {
      read: (note, auth) => note.ownerId === auth.userId || note.shared === true,
      create: (note, auth) => note.ownerId === auth.userId,
      update: (note, auth) => note.ownerId === auth.userId,
      delete: (note, auth) => note.ownerId === auth.userId,
    },
    quotes: { read: () => true },
  }),
  embeddings: { provider: 'openai-compatible', url: env('FIXTURE_EMBEDDINGS_URL'), model: 'bag-of-words', apiKey: env('FIXTURE_EMBEDDINGS_KEY'), dimensions: 384, batchSize: 8 },
})
