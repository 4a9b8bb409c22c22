import { KoyaError } from '../../shared/errors.ts'

/**
 * A SQLite constraint failure as the API answers it. The message names the table and column
 * (SQLite's own text names them); the SQL and parameters go to the log only.
 */
export function constraintError(cause: unknown): KoyaError | undefined {
  const code = (cause as { code?: unknown })?.code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) return undefined
  const message = (cause as Error).message
  const target = /failed: (.+)$/.exec(message)?.[1]?.replace(/"/g, '') ?? ''
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return new KoyaError('KL_API_CONFLICT', `A row with the same ${target || 'key'} already exists.`, { cause })
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return new KoyaError('KL_API_CONSTRAINT', 'The write references a row that does not exist, or deletes a row that others still reference.', { cause })
    case 'SQLITE_CONSTRAINT_CHECK': {
      // SQLite's text is the CHECK's SQL (`length(title) BETWEEN 1 AND 200`): only the column it
      // names goes to the client; the expression stays in the cause, for the logs.
      const column = /^(?:[a-z_]+\()?"?([A-Za-z_][A-Za-z0-9_]*)"?/.exec(target)?.[1]
      return new KoyaError('KL_API_CONSTRAINT', column ? `A value of "${column}" is outside what the column allows.` : 'A value is outside what its column allows.', { cause })
    }
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return new KoyaError('KL_API_VALIDATION', `${target || 'A required column'} may not be null.`, { cause })
    case 'SQLITE_CONSTRAINT_DATATYPE':
      return new KoyaError('KL_API_VALIDATION', 'A value has the wrong type for its column.', { cause })
    default:
      return new KoyaError('KL_API_CONSTRAINT', 'The write breaks a constraint of the table.', { cause })
  }
}
