import { expect, it } from 'vitest'
import { authApp, call, SERVICE_KEY } from '../../helpers/auth-app.ts'

it('smoke', async () => {
  const t = await authApp()
  const q = async (query: string, variables?: unknown) => (await call(t, 'POST', '/graphql', { token: SERVICE_KEY, body: { query, variables } }))
  const ws = await q(`mutation { createWorkspace(data: { name: "S", slug: "s", ownerId: "x" }) { id name } }`)
  console.log(ws.status, JSON.stringify(ws.body))
  const users = await call(t, 'POST', '/auth/signup', { body: { email: 'a@example.com', password: 'correct horse battery', displayName: 'A' } })
  console.log(users.status, users.raw.slice(0, 200))
  const r = await q(`{ users(limit: 5) { id email n: displayName } workspaces { id name owner { id email } members(limit: 2) { id } } tasksCount }`)
  console.log(r.status, JSON.stringify(r.body))
  const e = await q(`{ tasks(where: { title: { eq: null } }) { id } }`)
  console.log(e.status, JSON.stringify(e.body))
  const s = await q(`{ tasks { id `)
  console.log(s.status, JSON.stringify(s.body))
  const d = await q(`{ tasks { project { tasks { project { tasks { project { tasks { project { tasks { project { tasks { id } } } } } } } } } } } }`)
  console.log(d.status, JSON.stringify(d.body))
  await t.close()
})
