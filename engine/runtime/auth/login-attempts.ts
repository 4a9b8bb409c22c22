import type { AuthContext } from './auth-context.ts'
import { addressKey } from './rate-limiter.ts'

/**
 * Password guesses (login, and the current password at password change) are limited per
 * (account, client address) pair, with a much higher ceiling per account across clients
 * (decision 46). A lockout then shuts out the guessing client, not the account's owner: ten
 * wrong passwords from anywhere no longer lock the real owner out for fifteen minutes.
 */

const PAIR = 'login-pair'
const ACCOUNT = 'login-account'

const pairKey = (email: string, ip: string) => `${email}\u0000${addressKey(ip)}`

/**
 * Count one attempt at `email`'s password from `ip`, before the password is checked: argon2
 * runs off the event loop, so counting only failures afterwards would let any number of
 * parallel guesses through before the first of them failed. This runs in one tick, so parallel
 * attempts are counted one after the other.
 *
 * @throws KoyaError KL_AUTH_RATE_LIMITED when this client used up its attempts at this account,
 * or the account's ceiling is reached and this client already failed on it.
 *
 * @example
 * countPasswordAttempt(ctx, email, request.ip)
 * if (await verifyPassword(stored, password)) clearPasswordAttempts(ctx, email, request.ip)
 */
export function countPasswordAttempt(ctx: AuthContext, email: string, ip: string): void {
  const { limiter, limits } = ctx
  const pair = pairKey(email, ip)
  const clean = limiter.accountHits(PAIR, pair, limits.loginFailuresPerAccount) === 0
  try {
    limiter.hitAccount(ACCOUNT, email, limits.loginAttemptsPerAccount)
  } catch (error) {
    // Over the ceiling, a client with no failures on this account still gets its try: the
    // owner's right password goes through. Its first failure makes it unclean like the rest.
    if (!clean) throw error
  }
  limiter.hitAccount(PAIR, pair, limits.loginFailuresPerAccount)
}

/**
 * A right password clears its client's attempts at the account. The account's ceiling keeps
 * its count: the owner signing in must not hand spread-out guessers a fresh allowance.
 *
 * @example
 * if (await verifyPassword(stored, password)) clearPasswordAttempts(ctx, email, request.ip)
 */
export function clearPasswordAttempts(ctx: AuthContext, email: string, ip: string): void {
  ctx.limiter.resetAccount(PAIR, pairKey(email, ip))
}
