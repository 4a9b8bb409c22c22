import { environmentErrors, environmentStates } from '../../runtime/environment/check-env.ts'
import { environmentOf } from '../../runtime/meta/project-record.ts'
import { loadModel } from '../../runtime/index.ts'
import { KoyaErrorList } from '../../shared/errors.ts'
import type { Command } from '../command.ts'
import { withEnvFiles } from '../env-files.ts'
import { withSecrets } from '../secrets-env.ts'
import { colors } from '../io.ts'

export const envCommand: Command = {
  usage: `koyalite env <check | list>

  The environment variables koyalite.ts reads through env(…), for the environment KOYA_ENV names
  (development, test, staging, production), with .env, .env.<env> and .env.local applied under
  the process environment.

  check   exit 1 with every missing or invalid variable reported (coded, no values)
  list    each variable: set or not, required or not, where it is used (never its value)

  With a secrets provider (defineConfig({ secrets })) its values are read first, as at start:
  list marks the variables that come from it.`,
  async run(args, baseIO) {
    const [action] = args
    if (action !== 'list' && action !== 'check') {
      baseIO.err(this.usage)
      return 1
    }
    // The secrets provider's values count as set, as they do at start.
    const io = await withSecrets(baseIO.env, withEnvFiles(baseIO, { dev: false }), { dev: false })
    const model = loadModel(io.cwd)
    const environment = environmentOf(io.env, false)
    const c = colors(io)
    const fromSecrets = new Set(io.secrets?.names() ?? [])
    const files = [...(io.envFiles.length > 0 ? io.envFiles : ['no .env file']), ...(io.secrets ? [`${fromSecrets.size} from ${io.secrets.source.description}`] : [])].join(', ')
    if (action === 'list') {
      io.out(`${c.bold(model.name)} ${c.dim(`(${environment}; ${files})`)}`)
      const states = environmentStates(model, io.env)
      if (states.length === 0) io.out('  koyalite.ts reads no environment variable through env(…).')
      for (const state of states) {
        const mark = state.problem !== undefined ? c.red(state.set ? 'invalid' : 'missing') : state.set ? c.green('set') : c.dim('unset')
        const origin = fromSecrets.has(state.name) ? 'infisical ' : ''
        io.out(`  ${c.cyan(state.name.padEnd(28))} ${mark.padEnd(8)} ${state.required ? 'required' : 'optional'}  ${c.dim(origin + state.usedBy.join(', '))}`)
      }
      return 0
    }
    const errors = environmentErrors(model, io.env)
    if (errors.length > 0) throw new KoyaErrorList(errors)
    io.out(`${c.green('✓')} ${(model.env ?? []).length} environment variable(s) checked for ${environment} (${files}).`)
    return 0
  },
}
