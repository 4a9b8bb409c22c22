/**
 * The one answer to "may a page on this origin call the API?": CORS (may it read the answer) and
 * the CSRF check (may it write with the session cookie) both ask it.
 *
 * `allowed` are exact origins (the public URL's, auth.trustedOrigins, KOYA_TRUSTED_ORIGINS,
 * http.cors.origins); with `localhost` (under `koyalite dev`), every http origin on localhost,
 * 127.0.0.1 or [::1], on any port, is admitted too: the developer's own front end (Vite on 5173).
 *
 * @example
 * const allows = createOriginCheck(new Set(['https://app.example.com']), true)
 * allows('http://localhost:5173') // true
 */
export function createOriginCheck(allowed: ReadonlySet<string>, localhost: boolean): (origin: string) => boolean {
  if (!localhost) return (origin) => allowed.has(origin)
  return (origin) => allowed.has(origin) || LOCAL_ORIGIN.test(origin)
}

/** What a browser sends as the Origin of a page served from this machine (port optional). */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/
