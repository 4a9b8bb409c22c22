import { KoyaError } from '../../../shared/errors.ts'

/**
 * Where a sign-in may send the browser afterwards: a path of the app, an address on the public
 * URL's origin, or an address under an entry of auth.redirects. Anything else is an open
 * redirect (a phishing page reached through the app's own sign-in link) and is refused.
 *
 * An entry matches its own origin and, when it has a path, that path and what is below it
 * (`https://app.example.com/auth` allows `/auth` and `/auth/done`, not `/authx`).
 *
 * @example
 * checkRedirect('/tasks?open=1', 'https://tasks.example.com', [])            // 'https://tasks.example.com/tasks?open=1'
 * checkRedirect('https://evil.example/', 'https://tasks.example.com', [])     // throws KL_AUTH_REDIRECT_NOT_ALLOWED
 */
export function checkRedirect(redirectTo: string | undefined, publicUrl: string, allowed: readonly string[]): string {
  const base = new URL(publicUrl)
  if (redirectTo === undefined || redirectTo === '') return base.href
  const refuse = () =>
    new KoyaError('KL_AUTH_REDIRECT_NOT_ALLOWED', 'The sign-in\'s redirectTo is not an address of this app.', {
      hint: 'Redirect to a path of the app (`/dashboard`), or add the address to auth.redirects in koyalite.ts.',
    })
  // Browsers read `\` as `/` and ignore tabs and newlines in URLs: `/\evil.example` and `//evil`
  // are other hosts, so only a plain `/path` counts as relative.
  if (/[\\\u0000-\u001f\u007f]/.test(redirectTo)) throw refuse()
  let target: URL
  try {
    target = redirectTo.startsWith('/') && !redirectTo.startsWith('//') ? new URL(redirectTo, base.origin) : new URL(redirectTo)
  } catch {
    throw refuse()
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw refuse()
  if (target.username !== '' || target.password !== '') throw refuse()
  if (target.origin === base.origin) return target.href
  for (const entry of allowed) {
    const allow = new URL(entry)
    if (allow.origin !== target.origin) continue
    const prefix = allow.pathname.replace(/\/+$/, '')
    if (prefix === '' || target.pathname === prefix || target.pathname.startsWith(`${prefix}/`)) return target.href
  }
  throw refuse()
}
