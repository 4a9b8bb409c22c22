import { createHmac } from 'node:crypto'
import { KoyaError } from '../../shared/errors.ts'

const PREFIX = 'whsec_'

/**
 * A signing secret as Standard Webhooks writes it, `whsec_<base64>`, decoded to its key bytes.
 * Between 24 and 64 bytes, as the spec recommends.
 *
 * @example
 * secretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'KOYA_WEBHOOK_TASK_DONE_SECRET').length // 24
 */
export function secretKey(secret: string, variable: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : undefined
  const key = encoded !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : undefined
  if (key === undefined || key.length < 24 || key.length > 64) {
    throw new KoyaError('KL_JOB_WEBHOOK_CONFIG', `${variable} is not a Standard Webhooks secret (whsec_ followed by 24 to 64 bytes in base64).`, {
      hint: `Make one with: node -e "console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))" and set ${variable} to it.`,
    })
  }
  return key
}

/**
 * The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`
 * for each key, separated by spaces (several while a rotated secret is still honoured).
 *
 * @example
 * signatureHeader([key], 'msg_2Lb…', 1764662400, '{"type":"tasks.create",…}') // 'v1,K5oZ…='
 */
export function signatureHeader(keys: readonly Buffer[], id: string, timestampSeconds: number, body: string): string {
  const content = `${id}.${timestampSeconds}.${body}`
  return keys.map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`).join(' ')
}
