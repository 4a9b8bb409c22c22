// A process that streams an endless upload through the S3 driver, for the kill -9 test: it prints
// "parts sent" once more than two parts' worth of the body has been read, then keeps uploading
// slowly until it is killed. Usage: node s3-upload-child.ts '<S3Settings json>' <key>
import { Readable } from 'node:stream'
import { createS3Driver, type S3Settings } from '../../engine/runtime/storage/drivers/s3.ts'

const [settingsJson, key] = process.argv.slice(2)
const driver = createS3Driver(JSON.parse(settingsJson!) as S3Settings)
let sent = 0
let told = false
const body = new Readable({
  read() {
    sent += 1024 * 1024
    if (!told && sent > 12 * 1024 * 1024) {
      told = true
      console.log('parts sent')
    }
    const push = () => this.push(Buffer.alloc(1024 * 1024, sent % 251))
    if (told) setTimeout(push, 200)
    else push()
  },
})
await driver.put(key!, body, { contentType: 'application/octet-stream' })
