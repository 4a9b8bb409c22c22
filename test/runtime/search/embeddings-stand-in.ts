import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local server speaking the OpenAI embeddings API (`POST /v1/embeddings`), with deterministic
 * vectors: a hashed bag of words (each word adds 1 to a bucket picked by its FNV-1a hash), with a
 * few synonyms folded onto one word, so "automobile" is near "car" without sharing a letter run.
 * It records every request and can be told to fail the next ones (429, 500, 400).
 */
export interface EmbeddingsStandIn {
  readonly url: string
  /** Inputs of every successful request, in order. */
  readonly requests: string[][]
  readonly authorizations: (string | undefined)[]
  /** Answer the next `count` requests with `status` (and `Retry-After: 1` on a 429). */
  failNext(count: number, status: number): void
  close(): Promise<void>
}

const SYNONYMS: Record<string, string> = { automobile: 'car', vehicle: 'car', cars: 'car', feline: 'cat', kitten: 'cat', cats: 'cat', canine: 'dog', puppy: 'dog', dogs: 'dog' }

/** The stand-in's vector of a text (tests compute expected rankings with it). */
export function bagOfWords(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0)
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const word = SYNONYMS[raw] ?? raw
    let hash = 0x811c9dc5
    for (const char of word) hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0
    vector[hash % dimensions]! += 1
  }
  const norm = Math.hypot(...vector)
  return norm === 0 ? vector.map((_, i) => (i === 0 ? 1 : 0)) : vector.map((v) => v / norm)
}

export async function startEmbeddingsStandIn(): Promise<EmbeddingsStandIn> {
  const requests: string[][] = []
  const authorizations: (string | undefined)[] = []
  let failures: { count: number; status: number } = { count: 0, status: 500 }
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        response.writeHead(404).end()
        return
      }
      if (failures.count > 0) {
        failures.count--
        response.writeHead(failures.status, { 'content-type': 'application/json', ...(failures.status === 429 ? { 'retry-after': '1' } : {}) }).end(JSON.stringify({ error: { message: 'stand-in failure' } }))
        return
      }
      const { input, model, dimensions } = JSON.parse(body) as { input: string[] | string; model: string; dimensions: number }
      const texts = Array.isArray(input) ? input : [input]
      requests.push(texts)
      authorizations.push(request.headers.authorization)
      const data = texts.map((text, index) => ({ object: 'embedding', index, embedding: bagOfWords(text, dimensions) }))
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: 0, total_tokens: 0 } }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    authorizations,
    failNext(count, status) {
      failures = { count, status }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
