import { environmentErrors, environmentStates } from '../../runtime/environment/check-env.ts'
import { environmentOf } from '../../runtime/meta/project-record.ts'
import { loadModel } from '../../runtime/index.ts'
import { KoyaErrorList } from '../../shared/errors.ts'
import type { Command } from '../command.ts'
import { withEnvFiles } from '../env-files.ts'
import { colors } from '../io.ts'

export const envCommand: Command = {
  usage: `koyalite env <check | list>

  The environment variables koyalite.ts reads through env(…), for the environment KOYA_ENV names
  (development, test, staging, production), with .env, .env.<env> and .env.local applied under
  the process environment.

  check   exit 1 with every missing or invalid variable reported (coded, no values)
  list    each variable: set or not, required or not, where it is used (never its value)`,
  async run(args, baseIO) {
    const [action] = args
    const io = withEnvFiles(baseIO, { dev: false })
    const model = loadModel(io.cwd)
    const environment = environmentOf(io.env, false)
    const c = colors(io)
    const files = io.envFiles.length > 0 ? io.envFiles.join(', ') : 'no .env file'
    if (action === 'list') {
      io.out(`${c.bold(model.name)} ${c.dim(`(${environment}; ${files})`)}`)
      const states = environmentStates(model, io.env)
      if (states.length === 0) io.out('  koyalite.ts reads no environment variable through env(…).')
      for (const state of states) {
        const mark = state.problem !== undefined ? c.red(state.set ? 'invalid' : 'missing') : state.set ? c.green('set') : c.dim('unset')
        io.out(`  ${c.cyan(state.name.padEnd(28))} ${mark.padEnd(8)} ${state.required ? 'required' : 'optional'}  ${c.dim(state.usedBy.join(', '))}`)
      }
      return 0
    }
    if (action === 'check') {
      const errors = environmentErrors(model, io.env)
      if (errors.length > 0) throw new KoyaErrorList(errors)
      io.out(`${c.green('✓')} ${(model.env ?? []).length} environment variable(s) checked for ${environment} (${files}).`)
      return 0
    }
    io.err(this.usage)
    return 1
  },
}
