import type { EnvVarIR, EnvSchemaIR } from '../../ir/env-ir.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError, KoyaErrorList } from '../../shared/errors.ts'
import type { Env } from '../auth/auth-settings.ts'

/** One variable as `koyalite env list` shows it: never its value. */
export interface EnvVarState {
  readonly name: string
  readonly required: boolean
  readonly set: boolean
  /** Why the value is refused; undefined when it passes (or is unset and optional). */
  readonly problem: string | undefined
  readonly usedBy: readonly string[]
}

/**
 * Each declared variable against the environment: set or not, and what is wrong with it.
 *
 * @example
 * for (const v of environmentStates(model, process.env)) console.log(v.name, v.set)
 */
export function environmentStates(model: ProjectIR, env: Env): EnvVarState[] {
  return (model.env ?? []).map((variable) => {
    const value = env[variable.name]
    const set = value !== undefined && value !== ''
    return { name: variable.name, required: variable.required, set, problem: problemOf(variable, set ? value : undefined), usedBy: variable.usedBy }
  })
}

/**
 * Refuse to start with a missing or invalid variable: every such variable is reported at once,
 * each as a coded error (KL_ENV_MISSING, KL_ENV_INVALID) that names the variable and never its value.
 *
 * @throws KoyaErrorList
 * @example
 * assertEnvironment(model, process.env)
 */
export function assertEnvironment(model: ProjectIR, env: Env): void {
  const errors = environmentErrors(model, env)
  if (errors.length > 0) throw new KoyaErrorList(errors)
}

export function environmentErrors(model: ProjectIR, env: Env): KoyaError[] {
  return environmentStates(model, env)
    .filter((state) => state.problem !== undefined)
    .map((state) =>
      state.set
        ? new KoyaError('KL_ENV_INVALID', `Environment variable ${state.name} ${state.problem} (used by ${state.usedBy.join(', ')}).`, { hint: `Fix ${state.name} in the environment or the .env file of this environment (KOYA_ENV); \`koyalite env check\` checks again.` })
        : new KoyaError('KL_ENV_MISSING', `Environment variable ${state.name} is not set (used by ${state.usedBy.join(', ')}).`, { hint: `Set ${state.name} in the environment, in .env or in .env.<KOYA_ENV> (or in the secrets provider); \`koyalite env list\` shows what is set.` }),
    )
}

/**
 * What is wrong with `value` for a declared variable (its env schema), or undefined when it is
 * accepted; `undefined` means unset. Never quotes the value.
 *
 * @example
 * envValueProblem({ name: 'PORT', required: true, schema: { type: 'integer' }, usedBy: [] }, 'abc') // 'is not a number'
 */
export function envValueProblem(variable: EnvVarIR, value: string | undefined): string | undefined {
  return problemOf(variable, value)
}

function problemOf(variable: EnvVarIR, value: string | undefined): string | undefined {
  if (value === undefined) return variable.required ? 'is not set' : undefined
  return variable.schema === null ? undefined : checkValue(variable.schema, value)
}

/** The JSON Schema subset of env declarations (compiler/build-env.ts admits only these keywords). */
function checkValue(schema: EnvSchemaIR, text: string): string | undefined {
  const type = schema.type
  let value: string | number | boolean = text
  if (type === 'number' || type === 'integer') {
    const number = text.trim() === '' ? Number.NaN : Number(text)
    if (!Number.isFinite(number)) return 'is not a number'
    if (type === 'integer' && !Number.isInteger(number)) return 'is not a whole number'
    if (typeof schema.minimum === 'number' && number < schema.minimum) return `is below ${schema.minimum}`
    if (typeof schema.maximum === 'number' && number > schema.maximum) return `is above ${schema.maximum}`
    if (typeof schema.exclusiveMinimum === 'number' && number <= schema.exclusiveMinimum) return `is not above ${schema.exclusiveMinimum}`
    if (typeof schema.exclusiveMaximum === 'number' && number >= schema.exclusiveMaximum) return `is not below ${schema.exclusiveMaximum}`
    value = number
  } else if (type === 'boolean') {
    // z.stringbool()'s default words.
    const word = text.trim().toLowerCase()
    if (['true', '1', 'yes', 'on', 'y', 'enabled'].includes(word)) value = true
    else if (['false', '0', 'no', 'off', 'n', 'disabled'].includes(word)) value = false
    else return 'is not a boolean (true/false, 1/0, yes/no, on/off)'
  } else {
    if (typeof schema.minLength === 'number' && text.length < schema.minLength) return `is shorter than ${schema.minLength} characters`
    if (typeof schema.maxLength === 'number' && text.length > schema.maxLength) return `is longer than ${schema.maxLength} characters`
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(text)) return 'does not match its pattern'
    if ((schema.format === 'uri' || schema.format === 'url') && !URL.canParse(text)) return 'is not a URL'
    if (schema.format === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text)) return 'is not an email address'
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `is not one of ${schema.enum.map(String).join(', ')}`
  if (schema.const !== undefined && schema.const !== value) return `is not ${String(schema.const)}`
  return undefined
}
