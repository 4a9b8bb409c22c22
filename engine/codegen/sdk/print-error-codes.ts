import { errorCodes } from '../../shared/errors.ts'
import { literal } from '../ts-types.ts'

/** The codes the SDK itself raises, when the server gave no answer of its own. */
export const CLIENT_ERROR_CODES = {
  KL_CLIENT_NETWORK: 'The server could not be reached (or no fetch is available); status is 0.',
  KL_CLIENT_BAD_RESPONSE: 'The server answered with something a KoyaLite server does not send.',
} as const

/** The registry families whose codes reach clients over HTTP. Others join as their routes land. */
const HTTP_FAMILIES = ['KL_API_', 'KL_AUTH_', 'KL_INT_']

/** The KoyaErrorCode union: the HTTP codes of the registry and the client's own, for autocompletion. */
export function printErrorCodes(): string {
  const registry = Object.entries(errorCodes)
    .filter(([code, info]) => HTTP_FAMILIES.some((family) => code.startsWith(family)) && !('retired' in info && info.retired === true))
    .map(([code]) => code)
  const codes = [...registry, ...Object.keys(CLIENT_ERROR_CODES)].sort()
  return [
    '// ─── Errors ─────────────────────────────────────────────────────────────────────────────────────',
    '',
    '/**',
    ' * The code of a KoyaClientError: the server\'s KL_API_* and KL_AUTH_* codes (each is explained',
    ' * in the server\'s docs/errors.md), and KL_CLIENT_NETWORK and KL_CLIENT_BAD_RESPONSE from the client.',
    ' * Any other string is a code this SDK predates.',
    ' */',
    'export type KoyaErrorCode =',
    ...codes.map((code) => `  | ${literal(code)}`),
    '  | (string & {})',
    '',
  ].join('\n')
}
