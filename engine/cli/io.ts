import pc from 'picocolors'
import { formatLocation, type KoyaError } from '../shared/errors.ts'

/** Where the CLI writes. Tests pass their own; colors only on a TTY (and never with NO_COLOR). */
export interface CliIO {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly color: boolean
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
}

export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    cwd: process.cwd(),
    env: process.env,
  }
}

export function colors(io: CliIO) {
  return pc.createColors(io.color)
}

/** `schema/tasks.ts:4:3 KL_DEF_…: message` then the hint, indented. */
export function printError(io: CliIO, error: KoyaError): void {
  const c = colors(io)
  const where = error.at ? c.cyan(formatLocation(error.at)) + ' ' : ''
  io.err(`${where}${c.red(c.bold(error.code))} ${error.message}`)
  io.err(`  ${c.dim('hint:')} ${error.hint}`)
}
