import type { EmbeddingsIR } from '../../ir/project-ir.ts'
import { BoundedCache } from '../../shared/bounded-cache.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Env } from '../auth/auth-settings.ts'
import { doNotRetry } from '../queue/queue.ts'

/** A user's embedding function (`embeddings: { provider: 'custom' }`): one vector per text, in order. */
export type EmbedFunction = (texts: readonly string[], options: { readonly signal?: AbortSignal }) => Promise<readonly (readonly number[] | Float32Array)[]>

/**
 * Turns texts into vectors of the configured length: the rows' text (by the queue) and search
 * queries (on the request path, cached). Failures are KL_SEARCH_EMBEDDING_FAILED; a 4xx other
 * than 408/429 is marked not to be retried (doNotRetry), a 429 carries its Retry-After.
 *
 * @example
 * const embedder = createEmbedder(model.embeddings!, process.env)
 * const [vector] = await embedder.embed(['rocket launch'])
 */
export interface Embedder {
  readonly model: string
  readonly dimensions: number
  readonly batchSize: number
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>
  /** A query's vector, from a small cache of recent queries (same text, same vector). */
  embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array>
}

/** Recent query vectors kept per server. */
const QUERY_CACHE_SIZE = 512

/** `custom`: the function given to the server (`createServer({ search: { embed } })`). */
export function createEmbedder(config: EmbeddingsIR, env: Env, custom?: EmbedFunction): Embedder {
  const call = config.provider === 'custom' ? customCall(custom) : openAiCall(config, env)
  const checked = async (texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    if (texts.length === 0) return []
    const vectors = await call(texts, signal)
    if (vectors.length !== texts.length) throw failed(`the provider answered ${vectors.length} vectors for ${texts.length} texts`)
    return vectors.map((vector) => {
      if (vector.length !== config.dimensions) throw doNotRetry(failed(`the provider answered a vector of ${vector.length} dimensions; embeddings.dimensions is ${config.dimensions}`))
      return vector instanceof Float32Array ? vector : Float32Array.from(vector)
    })
  }
  const cache = new BoundedCache<string, Float32Array>(QUERY_CACHE_SIZE)
  return {
    model: config.model,
    dimensions: config.dimensions,
    batchSize: config.batchSize,
    embed: checked,
    async embedQuery(text, signal) {
      const hit = cache.get(text)
      if (hit) return hit
      const [vector] = await checked([text], signal)
      cache.set(text, vector!)
      return vector!
    },
  }
}

type Call = (texts: readonly string[], signal?: AbortSignal) => Promise<readonly (readonly number[] | Float32Array)[]>

function failed(reason: string, details?: Record<string, unknown>): KoyaError {
  return new KoyaError('KL_SEARCH_EMBEDDING_FAILED', `Embedding failed: ${reason}.`, { hint: 'Check `embeddings` in koyalite.ts and the provider\'s API key; rows are retried by the queue.', ...(details ? { details } : {}) })
}

function customCall(embed: EmbedFunction | undefined): Call {
  return async (texts, signal) => {
    if (embed === undefined) {
      throw doNotRetry(new KoyaError('KL_SEARCH_NOT_CONFIGURED', "embeddings.provider is 'custom' but the server was given no embed function.", { hint: 'Pass it to the server: createServer({ …, search: { embed: async (texts) => vectors } }).' }))
    }
    try {
      return await embed(texts, signal === undefined ? {} : { signal })
    } catch (error) {
      if (error instanceof KoyaError) throw error
      throw failed(`the embed function threw: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

/** `POST <url>/embeddings` of the OpenAI API (`{ model, input, dimensions }` → `{ data: [{ index, embedding }] }`). */
function openAiCall(config: EmbeddingsIR, env: Env): Call {
  const setting = config.url
  const base = setting === null ? undefined : 'value' in setting ? setting.value : env[setting.env]
  const key = config.apiKey === null ? undefined : env[config.apiKey.env]
  return async (texts, signal) => {
    if (base === undefined || base === '') throw doNotRetry(new KoyaError('KL_SEARCH_NOT_CONFIGURED', 'The embeddings provider has no URL.', { hint: 'Set embeddings.url in koyalite.ts, or the environment variable it names.' }))
    let response: Response
    try {
      response = await fetch(`${base.replace(/\/+$/u, '')}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model: config.model, input: texts, dimensions: config.dimensions, encoding_format: 'float' }),
        ...(signal ? { signal } : {}),
      })
    } catch (error) {
      throw failed(`the provider could not be reached (${error instanceof Error ? error.message : String(error)})`)
    }
    if (!response.ok) {
      await response.body?.cancel()
      const error = failed(`the provider answered ${response.status}`, { status: response.status, ...retryAfter(response) })
      // 408, 429 and 5xx are worth another attempt; any other 4xx will fail again the same way.
      const transient = response.status === 408 || response.status === 429 || response.status >= 500
      throw transient ? error : doNotRetry(error)
    }
    const body = (await response.json().catch(() => undefined)) as { data?: { index?: number; embedding?: unknown }[] } | undefined
    if (!Array.isArray(body?.data)) throw failed('the provider\'s answer has no `data` array')
    const vectors: number[][] = []
    for (const [position, item] of body.data.entries()) {
      if (!Array.isArray(item.embedding) || !item.embedding.every((n) => typeof n === 'number')) throw failed('the provider answered an embedding that is not an array of numbers')
      vectors[typeof item.index === 'number' ? item.index : position] = item.embedding as number[]
    }
    return vectors
  }
}

/** A 429's `Retry-After` (seconds or a date), as the queue's `retryAfterMs`. */
function retryAfter(response: Response): { retryAfterMs?: number } {
  const header = response.headers.get('retry-after')
  if (header === null) return {}
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  return Number.isFinite(ms) && ms > 0 ? { retryAfterMs: ms } : {}
}
