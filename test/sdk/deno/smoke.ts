// Run by test/sdk/deno.test.ts under Deno: the generated SDK, unchanged, against a live server.
// Usage: deno run --allow-net=127.0.0.1 smoke.ts <url> <service key>
import { createClient, KoyaClientError } from '../../../generated/sdk/index.ts'

const [url, token] = Deno.args
const koya = createClient({ url: url!, token: token! })
const user = await koya.users.create({ email: 'deno@example.com', displayName: 'Deno' })
const found = await koya.users.list({ where: { email: 'deno@example.com' }, select: ['id', 'displayName'] })
let refused = ''
try {
  // users has no create policy: only the service key creates rows there.
  await createClient({ url: url! }).users.create({ email: 'anonymous@example.com', displayName: 'Anonymous' })
} catch (error) {
  refused = error instanceof KoyaClientError ? `${error.status} ${error.code}` : String(error)
}
console.log(JSON.stringify({ created: user.id, found, refused }))
