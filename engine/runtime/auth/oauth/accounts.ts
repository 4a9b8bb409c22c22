import type { ColumnIR, TableIR } from '../../../ir/project-ir.ts'
import { KoyaError } from '../../../shared/errors.ts'
import type { OAuthRouteDeps } from '../auth-context.ts'
import type { UserRecord } from '../user-directory.ts'
import type { OAuthProfile, OAuthProviderName } from './providers.ts'

/** How the sign-in found its user. */
export type OAuthOutcome = 'signedIn' | 'linked' | 'created'

export interface OAuthAccountResult {
  readonly user: UserRecord
  readonly outcome: OAuthOutcome
}

/** Text columns OAuth sign-up fills with the provider's display name. */
const NAME_COLUMNS = ['displayName', 'name']

type AccountDeps = Pick<OAuthRouteDeps, 'db' | 'model' | 'findUserByEmail' | 'findUserById' | 'createUser'>

/**
 * Find or make the user a provider profile signs in as:
 * 1. an existing link (`_koya_oauth_accounts`, provider + provider user id) signs in its user;
 * 2. else a user with the same email is linked, only when the user verified the address;
 * 3. else a new user is created, emailVerified, and linked.
 * 2 and 3 need an address the provider verified. An unverified one may belong to someone else:
 * linked to an account pre-registered with a victim's address, it would receive their sign-in;
 * made into a new account, it would squat the address, and when the owner later recovered the
 * account by a password reset, the squatter's link would still sign in to it.
 * A refusal creates and links nothing.
 */
export async function resolveOAuthAccount(deps: AccountDeps, provider: OAuthProviderName, profile: OAuthProfile, now: Date): Promise<OAuthAccountResult> {
  const findLink = deps.db.prepare('SELECT "userId" FROM "_koya_oauth_accounts" WHERE "provider" = ? AND "providerUserId" = ?').pluck()
  const linkedUser = () => {
    const userId = findLink.all(provider, profile.providerUserId)[0] as string | undefined
    return userId === undefined ? undefined : deps.findUserById(userId)
  }
  // Two callbacks of one provider account at once: the first link wins, the second signs in to it.
  const link = (userId: string): UserRecord => {
    deps.db
      .prepare('INSERT INTO "_koya_oauth_accounts" ("provider", "providerUserId", "userId", "email", "createdAt") VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(provider, profile.providerUserId, userId, profile.email, now.toISOString())
    return linkedUser()!
  }

  const linked = linkedUser()
  if (linked !== undefined) return { user: linked, outcome: 'signedIn' }

  if (profile.email === null) {
    throw new KoyaError('KL_AUTH_OAUTH_NO_EMAIL', 'The sign-in provider gave no email address for this account.')
  }
  if (!profile.emailVerified) {
    throw new KoyaError('KL_AUTH_OAUTH_EMAIL_UNVERIFIED', `The sign-in provider has not verified the email address ${profile.email}, so no account is created or linked with it.`)
  }
  const existing = deps.findUserByEmail(profile.email)
  if (existing !== undefined) {
    if (!existing.emailVerified) {
      throw new KoyaError('KL_AUTH_OAUTH_LINK_REFUSED', 'An account with this email address exists but has not verified it, so the sign-in is not linked to it.')
    }
    return { user: link(existing.id), outcome: 'linked' }
  }

  const created = await deps.createUser(newUserRow(usersTableOf(deps), profile.email, profile))
  return { user: link(created.id), outcome: 'created' }
}

function usersTableOf(deps: AccountDeps): TableIR {
  const users = deps.model.tables.find((t) => t.isUsers)
  if (users === undefined) {
    throw new KoyaError('KL_AUTH_OAUTH_SIGNUP_INCOMPLETE', 'A new account cannot be created from the sign-in: the app has no users table.', { hint: 'Declare one in schema/: export const users = table.users({ … }).' })
  }
  return users
}

/**
 * The new user's row: email, emailVerified and a name column from the profile. A required app
 * column without a default that the profile cannot fill makes sign-up impossible: say which.
 */
function newUserRow(users: TableIR, email: string, profile: OAuthProfile): Record<string, unknown> {
  // Only a provider-verified address gets this far.
  const row: Record<string, unknown> = { email, emailVerified: true }
  for (const column of users.columns) {
    if (column.readOnly || column.name in row) continue
    if (NAME_COLUMNS.includes(column.name) && column.type === 'text') {
      const name = fitText(column, profile.name) ?? fitText(column, email.split('@')[0]!)
      if (name !== undefined) {
        row[column.name] = name
        continue
      }
    }
    if (!column.nullable && column.default === null) {
      throw new KoyaError('KL_AUTH_OAUTH_SIGNUP_INCOMPLETE', `A new account cannot be created from the sign-in: the users column "${column.name}" is required and the provider's profile does not fill it.`)
    }
  }
  return row
}

/** The text cut to the column's maximum length (in characters, as SQLite counts them), or undefined when it does not fit. */
function fitText(column: ColumnIR, text: string | null): string | undefined {
  if (text === null) return undefined
  const all = [...text.trim()]
  const chars = column.max === null ? all : all.slice(0, column.max)
  return chars.length === 0 || (column.min !== null && chars.length < column.min) ? undefined : chars.join('')
}
