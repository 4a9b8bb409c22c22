import type { SystemMigration } from '../system/system-schema.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { RELEASED_OBJECTS_TABLE } from './cascade-release.ts'

/**
 * The objects table (`_koya_objects`): one row per stored object, the columns of
 * ir/storage-objects.ts OBJECTS_TABLE_IR, read and written through the data layer. A row is
 * inserted only after the driver holds the whole object, so a half upload is never visible.
 */
export const STORAGE_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'storage_objects',
    sql: `
CREATE TABLE "${OBJECTS_TABLE}" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "bucket" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "size" INTEGER NOT NULL,
  "contentType" TEXT NOT NULL,
  "ownerId" TEXT,
  "sha256" TEXT NOT NULL,
  "key" TEXT NOT NULL UNIQUE,
  "metadata" TEXT NOT NULL DEFAULT '{}',
  "createdAt" TEXT NOT NULL
) STRICT;
CREATE INDEX "${OBJECTS_TABLE}_owner" ON "${OBJECTS_TABLE}" ("bucket", "ownerId", "name");
`,
  },
  {
    // Object ids taken out of file columns by ON DELETE CASCADE, until released (cascade-release.ts).
    name: 'storage_0002_released_objects',
    sql: `CREATE TABLE "${RELEASED_OBJECTS_TABLE}" ("id" TEXT NOT NULL PRIMARY KEY) STRICT, WITHOUT ROWID;`,
  },
]
