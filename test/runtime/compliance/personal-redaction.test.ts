import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { personalUrlRedactor } from '../../../engine/runtime/compliance/personal-redaction.ts'
import { call, clinicApp, clinicModel, signIn, type ClinicApp } from './clinic-app.ts'

let current: ClinicApp | undefined
afterEach(async () => {
  await current?.close()
  current = undefined
})

describe('personal values are kept out of error answers', () => {
  it('does not quote a personal value in a filter or body error, and still quotes others', async () => {
    const app = (current = await clinicApp())
    const ada = await signIn(app.url, 'ada@example.com')
    const personal = await call(app.url, 'GET', `/api/users?email=is.${encodeURIComponent('ada-SECRET@example.com')}`, { token: ada.token })
    expect(personal.status).toBe(400)
    expect(JSON.stringify(personal.body)).not.toContain('ada-SECRET')
    expect(personal.body.message).toContain('[a personal value]')
    // A filter on a column that is not personal is quoted as before.
    const plain = await call(app.url, 'GET', '/api/notes?topic=is.general-topic', { token: ada.token })
    expect(plain.body.message).toContain('general-topic')
    const created = await call(app.url, 'POST', '/api/patients', { service: true, body: { userId: ada.id, clinicId: 'x', diagnosis: 12345678 } })
    expect(created.status).toBe(400)
    expect(JSON.stringify(created.body)).not.toContain('12345678')
  })
})

describe('personal values are kept out of the request log', () => {
  it("logs a request's URL with the values of its personal filters hidden, other filters as sent", async () => {
    const lines: string[] = []
    const app = (current = await clinicApp({ logLines: lines }))
    const ada = await signIn(app.url, 'ada@example.com')
    await call(app.url, 'GET', '/api/patients?diagnosis=eq.SECRET-DIAGNOSIS&limit=5', { token: ada.token })
    await call(app.url, 'GET', '/api/notes?topic=eq.general-topic', { token: ada.token })
    const requests = lines.map((line) => JSON.parse(line) as { msg: string; url?: string }).filter((line) => line.msg === 'request completed')
    expect(lines.join('')).not.toContain('SECRET-DIAGNOSIS')
    expect(requests.map((line) => line.url)).toContain('/api/patients?diagnosis=[personal]&limit=5')
    expect(requests.map((line) => line.url)).toContain('/api/notes?topic=eq.general-topic')
  })
})

describe('personalUrlRedactor', () => {
  const redact = personalUrlRedactor(clinicModel)!
  it('hides the values of filters on personal columns, embedded and in logic groups, and nothing else', () => {
    expect(redact('/api/patients?diagnosis=eq.HIV&limit=5')).toBe('/api/patients?diagnosis=[personal]&limit=5')
    expect(redact('/api/clinics?select=name,patients(diagnosis)&patients.diagnosis=ilike.*flu*')).toBe('/api/clinics?select=name,patients(diagnosis)&patients.diagnosis=[personal]')
    expect(redact('/api/users?or=(email.eq.ada%40example.com,displayName.eq.Ada)&order=createdAt')).toBe('/api/users?or=[personal]&order=createdAt')
    expect(redact('/api/notes?topic=eq.general&or=(topic.eq.a,topic.eq.b)')).toBe('/api/notes?topic=eq.general&or=(topic.eq.a,topic.eq.b)')
    expect(redact('/api/patients')).toBe('/api/patients')
  })
  it('is absent for an app without personal columns', () => {
    expect(personalUrlRedactor({ tables: clinicModel.tables.filter((t) => t.name === 'clinics') })).toBeUndefined()
  })
})

describe('PHI is kept out of OpenTelemetry spans', () => {
  it('exports the spans of PHI reads and writes with statement shapes and no value of a .phi() column', async () => {
    const bodies: string[] = []
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    try {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
      const app = (current = await clinicApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } }))
      const ada = await signIn(app.url, 'ada@example.com')
      const clinic = await call(app.url, 'POST', '/api/clinics', { service: true, body: { name: 'North' }, headers: { prefer: 'return=representation' } })
      const patient = await call(app.url, 'POST', '/api/patients', { service: true, body: { userId: ada.id, clinicId: clinic.body[0].id, diagnosis: 'SECRET-DIAGNOSIS-OTLP' }, headers: { prefer: 'return=representation' } })
      expect(patient.status).toBe(201)
      await call(app.url, 'GET', `/api/patients?diagnosis=eq.SECRET-DIAGNOSIS-OTLP`, { service: true })
      await call(app.url, 'GET', `/api/patients/${patient.body[0].id}`, { service: true })
      // Closing the server flushes the batch of spans.
      await app.close()
      current = undefined
      const exported = bodies.join('\n')
      expect(exported).toContain('GET /api/patients/:id')
      expect(exported).toContain('"patients"')
      expect(exported).not.toContain('SECRET-DIAGNOSIS-OTLP')
    } finally {
      receiver.close()
    }
  })
})

