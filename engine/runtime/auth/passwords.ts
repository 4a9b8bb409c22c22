import { hash, verify } from '@node-rs/argon2'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/auth-fields.ts'
import { KoyaError } from '../../shared/errors.ts'
import { generateToken } from './tokens.ts'

/** With the u flag a surrogate pair is one code point, so only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Refuse a password that breaks the rules (length in code points, so an emoji counts once).
 * The length is that of the NFKC form, which is what gets hashed: `e` and a combining accent
 * are one character there, so ten of them are a five-character password.
 *
 * @throws KoyaError KL_AUTH_WEAK_PASSWORD
 */
export function checkPasswordRules(password: string, minLength: number = PASSWORD_MIN_LENGTH): void {
  // JSON can carry a lone UTF-16 surrogate; argon2 hashes UTF-8, where every one of them becomes
  // U+FFFD, so two such passwords that differ only there would be the same password.
  if (LONE_SURROGATE.test(password)) {
    throw new KoyaError('KL_AUTH_WEAK_PASSWORD', 'The password contains an unpaired surrogate (\\uD800–\\uDFFF), which is not text.', { hint: 'Send the password as valid Unicode text.' })
  }
  const length = [...password.normalize('NFKC')].length
  if (length < minLength) {
    throw new KoyaError('KL_AUTH_WEAK_PASSWORD', `The password has ${length} characters; it needs at least ${minLength}.`)
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new KoyaError('KL_AUTH_WEAK_PASSWORD', `The password has ${length} characters; at most ${PASSWORD_MAX_LENGTH} are accepted.`)
  }
}

/**
 * argon2id with @node-rs/argon2's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended
 * minimum), on libuv's thread pool so the event loop keeps serving.
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple')
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'))
}

/** The algorithm and parameters of a stored hash: `$argon2id$v=19$m=19456,t=2,p=1`. */
function parametersOf(stored: string): string {
  return stored.split('$').slice(0, 4).join('$')
}

let currentParameters: Promise<string> | undefined

/**
 * Whether a stored hash was made with other parameters than hashPassword's (an older KoyaLite, or
 * imported users): login then stores a fresh hash, so stronger settings reach every account
 * that signs in.
 */
export async function needsRehash(stored: string): Promise<boolean> {
  currentParameters ??= hashPassword('parameters probe').then(parametersOf)
  return parametersOf(stored) !== (await currentParameters)
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password.normalize('NFKC'))
  } catch {
    return false // a malformed stored hash never matches
  }
}

/**
 * Checks a password against a hash nobody knows the password of: what login does for an email
 * without an account, so that answer takes as long as a wrong password does.
 */
export function createDummyVerifier(): (password: string) => Promise<false> {
  let dummy: Promise<string> | undefined
  return async (password) => {
    dummy ??= hashPassword(generateToken())
    await verifyPassword(await dummy, password)
    return false
  }
}
