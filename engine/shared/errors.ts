/**
 * One error class for all of KoyaLite, over one registry of codes (error-codes.ts).
 *
 * Codes are `KL_<FAMILY>_<REASON>`. A code, once published, keeps its meaning; a retired code is
 * marked `retired` and never reused. `docs/errors.md` is printed from the registry (a test keeps
 * the two in step), so the description and the "how to solve" text live there only.
 */
import { errorCodes, type ErrorCodeInfo } from './error-codes.ts'

export { errorCodes, type ErrorCodeInfo }

export interface SourceLocation {
  /** Path relative to the project root, with forward slashes. */
  readonly file: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly column: number
}

export type KoyaErrorCode = keyof typeof errorCodes

export interface KoyaErrorOptions {
  readonly hint?: string
  readonly at?: SourceLocation
  readonly cause?: unknown
  /** Extra structured facts for machines (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The only error KoyaLite lets a user see.
 *
 * @example
 * throw new KoyaError('KL_DEF_DUPLICATE_TABLE', 'Table "tasks" is declared twice.', {
 *   at: { file: 'schema/tasks.ts', line: 4, column: 14 },
 *   hint: 'Rename one of them.',
 * })
 */
export class KoyaError extends Error {
  override readonly name = 'KoyaError'
  readonly code: KoyaErrorCode
  readonly hint: string
  readonly at: SourceLocation | undefined
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: KoyaErrorCode, message: string, options: KoyaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint ?? errorCodes[code].solution
    this.at = options.at
    this.details = options.details
  }

  /** The body a response carries: never the cause, the stack or SQL. */
  toJSON(): { code: KoyaErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint }
  }
}

/**
 * Several problems reported together: the compiler collects every problem before it reports.
 */
export class KoyaErrorList extends Error {
  override readonly name = 'KoyaErrorList'
  readonly errors: readonly KoyaError[]

  constructor(errors: readonly KoyaError[]) {
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} found:\n` + errors.map((e) => formatKoyaError(e)).join('\n'))
    this.errors = errors
  }
}

export function isKoyaError(value: unknown): value is KoyaError {
  return value instanceof KoyaError
}

export function formatLocation(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.column}`
}

/** One line for the problem, one for the hint: how errors read on a terminal and in logs. */
export function formatKoyaError(error: KoyaError): string {
  const where = error.at ? `${formatLocation(error.at)} ` : ''
  return `${where}${error.code}: ${error.message}\n  hint: ${error.hint}`
}

/** docs/errors.md, printed from the registry. */
export function printErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Printed from engine/shared/errors.ts; a test keeps this file in step. Rewrite it with',
    '     `KOYA_UPDATE_GOLDEN=1 npx vitest run test/shared`. -->',
    '',
    'Every error KoyaLite shows has a stable code `KL_<FAMILY>_<REASON>`, a message naming the',
    'problem and the thing involved, and a hint naming the next action. HTTP responses carry',
    '`{ code, message, hint }` only; causes, SQL and stacks go to the logs.',
    '',
  ]
  for (const [code, info] of Object.entries(errorCodes) as [KoyaErrorCode, ErrorCodeInfo][]) {
    lines.push(`## ${code}${info.retired ? ' (retired)' : ''}`, '', info.description, '', `**How to solve:** ${info.solution}`, '')
  }
  return lines.join('\n')
}
