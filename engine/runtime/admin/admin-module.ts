import { defineModule } from '../modules/feature-module.ts'
import { registerAdmin } from './admin-routes.ts'

/**
 * The admin API at `/admin` (role grants, sessions, the audit log), as the route contract
 * describes it. It manages what the auth module keeps, so it comes after auth.
 */
export const adminModule = defineModule({
  name: 'admin',
  systemMigrations: [],
  async register(app, runtime) {
    registerAdmin(app, runtime.adminDeps())
  },
})
