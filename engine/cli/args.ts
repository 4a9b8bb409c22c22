import { parseArgs, type ParseArgsConfig } from 'node:util'
import { KoyaError } from '../shared/errors.ts'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Parse a command's arguments; unknown flags and missing values are KL_CLI_USAGE errors. */
export function parseCommandArgs<O extends OptionSpec>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (cause) {
    throw new KoyaError('KL_CLI_USAGE', `${command}: ${(cause as Error).message}`, { hint: `Run \`koyalite ${command} --help\`.`, cause })
  }
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KoyaError('KL_CLI_USAGE', `"${value}" is not a port number.`, { hint: 'Give a port between 0 and 65535, e.g. --port 3000.' })
  }
  return port
}
