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
  KL_COMPLIANCE_HIPAA_ENCRYPTION: {
    description: 'HIPAA mode is on and the database is not encrypted at rest.',
    solution: 'Configure `database: { encryption: { key: env(\'KOYA_DB_KEY\') } }` and set the variable.',
  },
  KL_COMPLIANCE_HIPAA_HTTPS: {
    description: 'HIPAA mode is on and the public URL is not https.',
    solution: 'Serve the app behind TLS and set `auth.publicUrl` (or KOYA_PUBLIC_URL) to its https URL.',
  },
  KL_COMPLIANCE_HIPAA_SYNCHRONOUS: {
    description: 'HIPAA mode is on and the database runs with synchronous below FULL.',
    solution: "Remove `database.synchronous: 'normal'` (HIPAA mode defaults it to 'full'), or open the database you pass to createServer with `synchronous: 'full'`.",
  },
  KL_COMPLIANCE_HIPAA_SESSION_IDLE: {
    description: 'HIPAA mode is on and sessions stay alive idle for more than 15 minutes.',
    solution: 'Set `auth.session.idleTimeout` to \'15m\' or less.',
  },
  KL_COMPLIANCE_HIPAA_HSTS: {
    description: 'HIPAA mode is on and answers would not carry HSTS for at least a year: `http.headers` removes `strict-transport-security` or gives it a shorter max-age.',
    solution: "Remove the `strict-transport-security` override from `http.headers` (the default is one year), or set `'max-age=31536000; includeSubDomains'`.",
  },
  KL_COMPLIANCE_HIPAA_PASSWORD_POLICY: {
    description: 'HIPAA mode is on and the password policy accepts passwords shorter than 12 characters.',
    solution: 'Set `auth.password.minLength` to 12 or more, or leave it out (HIPAA mode defaults it to 12).',
  },
  KL_COMPLIANCE_HIPAA_PHI_POLICY: {
    description: 'HIPAA mode is on and a table with `.phi()` columns has no read policy (deny by default is not enough).',
    solution: 'Write a read policy for the table naming who may read its rows.',
  },
  KL_COMPLIANCE_DB_IN_USE: {
    description: '`koyalite db encrypt | decrypt | rekey` was run on a database another process holds open (a running server).',
    solution: 'Stop the server (and `koyalite dev`) using the database, in every container that mounts it, then run the command again.',
  },
  KL_COMPLIANCE_CIPHER_STATE: {
    description: '`koyalite db encrypt` was run on an encrypted database, or `decrypt` / `rekey` on a plain one.',
    solution: 'Run `koyalite db rekey` to change the key of an encrypted database, `koyalite db encrypt` to encrypt a plain one.',
  },
  KL_COMPLIANCE_CIPHER_VERIFY: {
    description: 'The re-encrypted copy of the database did not pass its check (integrity, tables and row counts); the original was left unchanged.',
    solution: 'Run `koyalite backup` and report the problem; the database itself was not modified.',
  },
  KL_COMPLIANCE_OBJECT_CORRUPT: {
    description: 'An encrypted storage object does not decrypt: it was altered or cut off, or the key (the database\'s) is not the one it was stored with.',
    solution: 'Check that the database key variable holds the key the objects were stored with; restore the object from a backup of the storage directory.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
