import type { ErrorCodeInfo } from '../error-codes.ts'

/** Codes of `koyalite generate`: the definition, its policies, its migrations. Part of the one registry (../error-codes.ts). */
export const BUILD_ERROR_CODES = {
  // ── DEF: the application definition (koyalite.ts, schema/) ─────────────────────────────────
  KL_DEF_CONFIG_NOT_FOUND: {
    description: 'The configuration file (koyalite.ts by default) does not exist.',
    solution: 'Run the command from the project root, pass --config <file>, or create one with `koyalite init`.',
  },
  KL_DEF_SYNTAX: {
    description: 'A file of the definition has a syntax error, so it cannot be loaded.',
    solution: 'Fix the syntax at the reported location; the other checks run once the file parses.',
  },
  KL_DEF_TYPE_ERROR: {
    description: 'TypeScript reported a type error in the definition.',
    solution: 'Fix the type error at the reported location; the message is TypeScript\'s own.',
  },
  KL_DEF_LOAD_FAILED: {
    description: 'Importing the configuration module threw an error.',
    solution: 'Fix the error at the reported location: code at the top level of koyalite.ts and schema/ runs when `koyalite generate` loads the definition.',
  },
  KL_DEF_NO_CONFIG_EXPORT: {
    description: 'The configuration module has no default export made by defineConfig().',
    solution: 'End koyalite.ts with `export default defineConfig({ ... })`, importing defineConfig from \'koyalite\'.',
  },
  KL_DEF_INVALID: {
    description: 'A definition object has an unknown key or a value of the wrong shape.',
    solution: 'Compare the object with the documented options; unknown keys are rejected so typos do not pass silently.',
  },
  KL_DEF_INVALID_NAME: {
    description: 'A table, column, relation or role name is not a valid identifier.',
    solution: 'Use letters, digits and underscores, starting with a letter (tables: lower case, e.g. `tasks`; columns: camelCase, e.g. `dueAt`).',
  },
  KL_DEF_RESERVED_NAME: {
    description: 'A name uses a prefix or word that KoyaLite or SQLite reserves.',
    solution: 'Rename it: names starting with `_koya_` or `sqlite_` belong to the system.',
  },
  KL_DEF_TYPE_NAME: {
    description: 'Two tables would generate the same type name (`tasks` and `task` both give `Task`; `task_inserts` gives `TaskInsert`).',
    solution: 'Rename one of the tables.',
  },
  KL_DEF_DUPLICATE_TABLE: {
    description: 'Two tables have the same name.',
    solution: 'Rename one of them; for a rename of an existing table pass `{ renamedFrom: \'old\' }` in its options.',
  },
  KL_DEF_UNKNOWN_REF_TABLE: {
    description: 'A column references a table that is not passed to defineConfig().',
    solution: 'Export the referenced table from the module passed as `tables`, or fix the table name in t.ref(\'name\').',
  },
  KL_DEF_REF_NAME: {
    description: 'A relation derived from a ref collides with a column of the same table.',
    solution: 'A ref named `xId` gives the relation `x`; rename the column or the ref so the two names differ.',
  },
  KL_DEF_AMBIGUOUS_INVERSE: {
    description: 'Two refs would give the referenced table two has-many relations of the same name.',
    solution: 'Name the inverse relation of one of them: `t.ref(() => users, { inverse: \'assignedTasks\' })`.',
  },
  KL_DEF_ENUM_VALUES: {
    description: 'An enum column has no values, a duplicate value or a value that is not a non-empty string.',
    solution: 'List each allowed value once: `t.enum([\'todo\', \'doing\', \'done\'])`.',
  },
  KL_DEF_ENUM_DEFAULT: {
    description: 'The default of an enum column is not one of its values.',
    solution: 'Use one of the listed values as the default, or add the value to the enum.',
  },
  KL_DEF_DEFAULT_TYPE: {
    description: 'A column default does not fit the column (wrong type, or outside its min/max).',
    solution: 'Give a default of the column\'s type that passes its own constraints.',
  },
  KL_DEF_MIN_MAX: {
    description: 'A min/max constraint is used on a column type without one, or min is greater than max.',
    solution: 'Use min/max on text (length), int and real (value) columns only, with min <= max.',
  },
  KL_DEF_UNKNOWN_COLUMN: {
    description: 'An index, search field or option names a column the table does not have.',
    solution: 'Use one of the table\'s column names (the keys of its column object).',
  },
  KL_DEF_DUPLICATE_INDEX: {
    description: 'The same index is declared twice on a table.',
    solution: 'Remove one of the two declarations (a column with .index() already has an index).',
  },
  KL_DEF_USERS_TABLE: {
    description: 'The users table is misdeclared: declared twice, named `users` without table.users(), or overriding a core column.',
    solution: 'Declare it once with `table.users({ ...extraColumns })`; id, email, emailVerified, createdAt and updatedAt are added for you.',
  },
  KL_DEF_RENAME: {
    description: 'A renamedFrom() names a column or table that still exists, or two definitions claim the same old name.',
    solution: '`renamedFrom(\'old\')` is for an old name that no longer exists in the definition; remove the clash.',
  },
  KL_DEF_ROLE: {
    description: 'A role is declared twice or has an invalid name.',
    solution: 'Declare each role once, as a lower-case identifier; `admin` always exists and need not be listed.',
  },
  KL_DEF_CRON: {
    description: 'A job\'s cron expression or time zone is not valid.',
    solution: 'Write a cron expression of 5 fields (or 6, seconds first), e.g. `0 8 * * *` for 08:00 daily, and an IANA time zone such as `Europe/Paris`.',
  },
  KL_DEF_UNKNOWN_TABLE: {
    description: 'A webhook (or another option) names a table that is not defined.',
    solution: 'Name one of the tables passed to defineConfig({ tables }), by its table name.',
  },
  KL_DEF_FUNCTION_FILE: {
    description: 'A function\'s file does not exist, lies outside the project, or is not a TypeScript or JavaScript file.',
    solution: 'Give `fn({ file })` a path relative to the project root, such as `functions/checkout.ts`, of a file that exists.',
  },
  KL_DEF_BUNDLE: {
    description: 'Bundling the code of jobs, webhooks or functions into generated/ failed (a syntax error, or an import that does not resolve).',
    solution: 'Fix the file and line named; a package import must be installed in the project\'s node_modules.',
  },
  KL_DEF_GENERATED_STALE: {
    description: '`koyalite generate --check` found generated/ out of date with the definition.',
    solution: 'Run `koyalite generate` and commit the result.',
  },

  // ── POLICY: row-level-security policies (policies/) ─────────────────────────────────────────
  KL_POLICY_UNSUPPORTED: {
    description: 'A policy uses a form the policy compiler cannot turn into SQL (a method call, an outer variable, a block body, arithmetic, `==`, a template literal, …), or a rule that was not written inline.',
    solution: 'Rewrite the predicate with the supported forms: `=== !== < <= > >=`, `&& || !`, `?:`, literals, `x === null`, `auth.userId`, `auth.roles.includes(\'role\')`, `[\'a\', \'b\'].includes(row.col)`, a bool column, belongs-to traversal and `.some()`/`.every()` over has-many relations.',
  },
  KL_POLICY_NOT_INLINE: {
    description: 'The rules given to policies() are not written inline as object literals of arrow functions, so the compiler cannot read them.',
    solution: 'Write the rules inline: `policies(schema, { tasks: { read: (task, auth) => … } })`; split large rule sets over several files instead of sharing variables.',
  },
  KL_POLICY_UNKNOWN_TABLE: {
    description: 'A policies() rule is keyed by a name that is not a table of the schema.',
    solution: 'Key the rules by a table name (the first argument of `table(\'name\', …)`), and pass that table to defineConfig({ tables }).',
  },
  KL_POLICY_UNKNOWN_COLUMN: {
    description: 'A policy reads a column or relation that the row does not have.',
    solution: 'Use one of the table\'s columns, a belongs-to relation (a ref `xId` gives `x`) or a has-many relation.',
  },
  KL_POLICY_UNKNOWN_ROLE: {
    description: 'A policy tests `auth.roles.includes(\'x\')` with a role that is not declared.',
    solution: 'Declare the role in defineConfig({ roles: [...] }) or fix its spelling; `admin` always exists.',
  },
  KL_POLICY_DUPLICATE: {
    description: 'The same operation of the same table has a rule in more than one place.',
    solution: 'Keep one rule per table and operation; combine the conditions with `||` or `&&`.',
  },
  KL_POLICY_UNUSED: {
    description: 'A policies() call in the definition\'s files is not among the policies passed to defineConfig(), so its rules would silently not apply.',
    solution: 'Pass its result to defineConfig({ policies }) (an array may hold several), or delete it.',
  },
  KL_POLICY_UNINDEXED: {
    description: 'A policy filters or joins on a column without an index, so every check scans the table (a warning).',
    solution: 'Add the index the hint names to the table\'s options: `indexes: [[\'column\']]`.',
  },

  // ── MIG: migrations ──────────────────────────────────────────────────────────────────────────
  KL_MIG_AMBIGUOUS_RENAME: {
    description: 'A column or table disappeared while another of the same shape appeared: it could be a rename or a drop and an add.',
    solution: 'Write `.renamedFrom(\'old\')` on the new column (or `{ renamedFrom: \'old\' }` on the table) to rename; pass --allow-data-loss to drop the old one.',
  },
  KL_MIG_DESTRUCTIVE: {
    description: 'The change would drop or narrow data (drop a table or column, change a type, make a column required, tighten a constraint).',
    solution: 'Review the change, back up the database, then run `koyalite generate --allow-data-loss`.',
  },
  KL_MIG_NEEDS_DEFAULT: {
    description: 'A required column is added to an existing table without a default, so existing rows would have no value.',
    solution: 'Give the column a `.default(...)`, or make it `.optional()`.',
  },
  KL_MIG_TAMPERED: {
    description: 'A migration that was already applied has changed on disk (its checksum differs).',
    solution: 'Restore the applied migration from version control; put new changes in a new migration with `koyalite generate`.',
  },
  KL_MIG_MISSING: {
    description: 'The database records an applied migration that is not on disk.',
    solution: 'Restore the missing file from version control, or use the database that belongs to this checkout.',
  },
  KL_MIG_FAILED: {
    description: 'A migration failed while applying; its transaction was rolled back.',
    solution: 'Read the SQLite message in the cause; existing data that violates a new constraint must be fixed first.',
  },
  KL_MIG_FOREIGN_KEY: {
    description: 'After a migration, rows violate foreign keys; the migration was rolled back.',
    solution: 'Fix or delete the rows that reference missing parents (listed in the message), then migrate again.',
  },
  KL_MIG_NOTHING_TO_UNDO: {
    description: '`migrate down` found no applied migration to undo.',
    solution: 'Nothing to do; `koyalite migrate status` lists what is applied.',
  },
  KL_MIG_SNAPSHOT: {
    description: 'A migration snapshot in generated/migrations/meta is missing or unreadable.',
    solution: 'Restore generated/migrations from version control; never edit generated files by hand.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
