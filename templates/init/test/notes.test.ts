// The app over its real HTTP stack (auth, policies, validation) on in-memory SQLite: each test
// file gets its own server and database. `npm test` regenerates generated/ first.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTestApp, type TestApp } from 'koyalite/testing'
import { createClient } from '../generated/sdk'

let app: TestApp<ReturnType<typeof createClient>>
// Booting loads the whole runtime once per file: a cold first run can outlast vitest's 10 s default.
beforeAll(async () => {
  app = await createTestApp({ createClient })
}, 60_000)
afterAll(() => app.close())

test('a note is seen by its author and no one else', async () => {
  const ada = await app.user('ada@example.com')
  const note = await ada.client.notes.create({ authorId: ada.id, title: 'Hello' })
  expect((await ada.client.notes.list()).map((n) => n.id)).toEqual([note.id])

  const bob = await app.asUser('bob@example.com')
  expect(await bob.notes.list()).toEqual([])
  await expect(bob.notes.create({ authorId: ada.id, title: 'Not mine' })).rejects.toMatchObject({ status: 403 })
})
