import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { createLocalDriver } from '../../../engine/runtime/storage/drivers/local.ts'
import { describeStorageDriverContract } from '../../helpers/storage-contract.ts'

// The same contract the S3 driver passes against radosgw, against the local disk.
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-local-driver-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
describeStorageDriverContract('local disk', () => createLocalDriver(dir))
