import { defineModule } from '../modules/feature-module.ts'
import { registerAdmin } from './admin-routes.ts'
import { createUserAccounts } from './user-operations.ts'

/**
 * The admin API at `/admin` (users and their sessions, role grants, the audit log), as the route contract
 * describes it. It manages what the auth module keeps, so it comes after auth.
 */
export const adminModule = defineModule({
  name: 'admin',
  systemMigrations: [],
  async register(app, runtime) {
    registerAdmin(app, runtime.adminDeps(), createUserAccounts(runtime.db, runtime.data, runtime.clock))
  },
})
