import { defineModule } from '../modules/feature-module.ts'
import { registerRestRoutes } from './routes.ts'

/** `/api/<table>` and `/api/<table>/<id>` for every table with a generated route module: PostgREST's grammar over the data layer. */
export const restModule = defineModule({
  name: 'rest',
  systemMigrations: [],
  async register(app, runtime) {
    registerRestRoutes(app, { data: runtime.data, tables: runtime.tables, actorOf: (request) => runtime.actorOf(request) })
  },
})
