import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixturesDir } from '../../helpers/paths.ts'

/** The payload shapes of the handlers fixture's two webhooks, as generated/openapi.json publishes them (OpenAPI 3.1 `webhooks`). */
const doc = JSON.parse(readFileSync(path.join(fixturesDir, 'handlers', 'generated', 'openapi.json'), 'utf8'))

describe('openapi.json webhooks', () => {
  it('lists every webhook with the Standard Webhooks headers', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual(['audit', 'taskDone'])
    for (const name of ['audit', 'taskDone']) {
      const post = doc.webhooks[name].post
      expect(post.parameters.map((p: any) => [p.in, p.name])).toEqual([['header', 'webhook-id'], ['header', 'webhook-timestamp'], ['header', 'webhook-signature']])
      expect(Object.keys(post.responses)).toEqual(['200', '410'])
    }
  })

  it('an untransformed webhook sends the event with the table\'s row schema; a transformed one any JSON', () => {
    const audit = doc.webhooks.audit.post.requestBody.content['application/json'].schema
    expect(audit.required).toEqual(['type', 'table', 'record', 'oldRecord', 'timestamp'])
    expect(audit.properties.type.enum).toEqual(['tasks.delete'])
    expect(audit.properties.record.anyOf).toEqual([{ $ref: '#/components/schemas/Task' }, { type: 'null' }])
    expect(doc.components.schemas.Task).toBeDefined()
    const taskDone = doc.webhooks.taskDone.post.requestBody.content['application/json'].schema
    expect(taskDone.type).toBeUndefined()
    expect(doc.webhooks.taskDone.post.description).toContain('filter admits')
  })

  it('serves the delivery log and replay under /admin', () => {
    expect(doc.paths['/admin/webhooks/deliveries'].get.operationId).toBe('listWebhookDeliveries')
    expect(doc.paths['/admin/webhooks/deliveries/{id}/replay'].post.operationId).toBe('replayWebhookDelivery')
  })
})
