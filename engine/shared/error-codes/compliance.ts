import type { ErrorCodeInfo } from '../error-codes.ts'

/**
 * Codes of the compliance features (docs/compliance.md): personal-data annotations and owner
 * paths, consent, export and erasure, encryption at rest, HIPAA mode. Part of the one registry
 * (../error-codes.ts).
 */
export const COMPLIANCE_ERROR_CODES = {
  KL_DEF_OWNER_PATH: {
    description: 'A table\'s `owner` option does not lead, through ref columns, to the users table.',
    solution: 'Name ref columns joined by dots, each on the table the previous one points at, the last pointing at users: `owner: \'projectId.ownerId\'`.',
  },
  KL_DEF_NO_OWNER_PATH: {
    description: 'A table has personal columns but no path of refs to the users table, so export and erasure cannot find its rows (a warning).',
    solution: 'Add a ref to the users table (or to a table that has one), or declare `owner: \'…\'` in the table\'s options; if the data is about nobody, drop `.personal()`.',
  },
  KL_POLICY_UNKNOWN_CONSENT: {
    description: 'A policy tests `auth.consents.includes(…)` with a purpose the app does not declare.',
    solution: 'Declare the purpose in `defineConfig({ consents: { name: { version, description } } })`, or fix the spelling (`doNotSell` is built in).',
  },
  KL_COMPLIANCE_WRONG_KEY: {
    description: 'The encryption key does not open the database (a wrong key, or a database that is not encrypted).',
    solution: 'Set the key the database was encrypted with (the variable `database.encryption.key` names, e.g. KOYA_DB_KEY); to encrypt a plain database, run `koyalite db encrypt`.',
  },
  KL_COMPLIANCE_DB_ENCRYPTED: {
    description: 'The database file is encrypted, and it was opened without a key.',
    solution: 'Configure `database: { encryption: { key: env(\'KOYA_DB_KEY\') } }` and set the variable to the key the database was encrypted with.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
