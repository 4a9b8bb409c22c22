import { KoyaError, KoyaErrorList } from '../shared/errors.ts'
import { printError, type CliIO } from './io.ts'

/**
 * Print an error the way users should see it and return the exit code: 1 for a problem the
 * user can fix (a KoyaError), 2 for an internal failure (with its stack, which is ours to fix).
 */
export function reportError(io: CliIO, error: unknown): 1 | 2 {
  if (error instanceof KoyaErrorList) {
    for (const item of error.errors) printError(io, item)
    io.err(`${error.errors.length} problem${error.errors.length === 1 ? '' : 's'}.`)
    return error.errors.some((e) => e.code === 'KL_INT_UNEXPECTED') ? 2 : 1
  }
  if (error instanceof KoyaError) {
    printError(io, error)
    return error.code === 'KL_INT_UNEXPECTED' ? 2 : 1
  }
  printError(io, new KoyaError('KL_INT_UNEXPECTED', `Internal error: ${(error as Error)?.message ?? String(error)}`))
  io.err(String((error as Error)?.stack ?? error))
  return 2
}
