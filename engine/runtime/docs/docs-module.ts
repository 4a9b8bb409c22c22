import type { GeneratedDocs } from '../model.ts'
import { defineModule } from '../modules/feature-module.ts'

/** The page may load nothing and run only its own inline script. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

/**
 * `GET /openapi.json` and `GET /docs`: the generated spec and API reference page, each served
 * only when generated/ holds it.
 */
export const docsModule = defineModule<GeneratedDocs | undefined>({
  name: 'docs',
  systemMigrations: [],
  async register(app, _runtime, docs) {
    const { openapi, docsPage } = docs ?? {}
    if (openapi !== undefined) app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(openapi))
    if (docsPage !== undefined) {
      app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(docsPage))
    }
  },
})
