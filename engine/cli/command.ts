import type { CliIO } from './io.ts'

/** A `koyalite` subcommand (its one-line summary is in main.ts). `run` returns the exit code; errors it throws are reported by main. */
export interface Command {
  readonly usage: string
  run(args: readonly string[], io: CliIO): Promise<number>
}
