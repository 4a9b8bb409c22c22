// A storage test server in its own process, so a test can measure its memory or kill -9 it.
// Prints one JSON line { url, token, pid } once it listens; serves until killed.
import { storageApp } from './storage-app.ts'

const dir = process.env.KOYA_TEST_DIR
if (dir === undefined) throw new Error('KOYA_TEST_DIR is required')
const app = await storageApp({ dir })
const ada = await app.user('ada@example.com')
process.stdout.write(`${JSON.stringify({ url: app.url, token: ada.token, pid: process.pid })}\n`)
// SIGTERM closes and exits (so `node --cpu-prof` writes its profile); tests that crash it use SIGKILL.
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
// Bounded: a test that forgets this process does not leave it running.
setTimeout(() => process.exit(0), 10 * 60_000).unref()
