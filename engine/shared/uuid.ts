import { randomFillSync } from 'node:crypto'

const bytes = new Uint8Array(16)
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
let lastMs = 0
let counter = 0

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then random bits. Ids
 * made by one process are strictly increasing (§6.2 method 1: the counter orders ids made in
 * the same millisecond), so they sort in creation order and index well.
 */
export function uuidv7(now = Date.now()): string {
  if (now <= lastMs) {
    counter++
    if (counter > 0xfff) {
      lastMs++ // the counter ran out: borrow the next millisecond
      counter = 0
    }
  } else {
    lastMs = now
    counter = 0
  }
  randomFillSync(bytes)
  const ms = lastMs
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff
  bytes[2] = (ms >>> 24) & 0xff
  bytes[3] = (ms >>> 16) & 0xff
  bytes[4] = (ms >>> 8) & 0xff
  bytes[5] = ms & 0xff
  bytes[6] = 0x70 | (counter >>> 8)
  bytes[7] = counter & 0xff
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  let out = ''
  for (let i = 0; i < 16; i++) {
    out += hex[bytes[i]!]
    if (i === 3 || i === 5 || i === 7 || i === 9) out += '-'
  }
  return out
}
