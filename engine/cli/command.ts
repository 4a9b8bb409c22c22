import type { CliIO } from './io.ts'

/** A `koyalite` subcommand. `run` returns the exit code; errors it throws are reported by main. */
export interface Command {
  readonly summary: string
  readonly usage: string
  run(args: readonly string[], io: CliIO): Promise<number>
}
