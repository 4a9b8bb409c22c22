import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { KoyaError } from '../../shared/errors.ts'

/**
 * Addresses a webhook may not reach unless its host is allow-listed: loopback, private (RFC 1918,
 * unique local), link-local (with the cloud metadata service, 169.254.169.254 and fd00:ec2::254),
 * carrier-grade NAT, "this network", multicast and reserved ranges. IPv4-mapped IPv6 addresses
 * are judged as the IPv4 address they carry.
 */
const BLOCKED = (() => {
  const list = new BlockList()
  for (const [network, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) list.addSubnet(network, prefix, 'ipv4')
  for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['100::', 64]] as const) list.addSubnet(network, prefix, 'ipv6')
  return list
})()

/**
 * Whether a destination address is one webhooks must not reach (without an allow-list entry).
 *
 * @example
 * isBlockedAddress('169.254.169.254') // true
 * isBlockedAddress('93.184.215.14') // false
 */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return BLOCKED.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4')
  return BLOCKED.check(address, 'ipv6')
}

/** `KOYA_WEBHOOK_ALLOW_HOSTS`: host names (or literal addresses) webhooks may reach whatever they resolve to. */
export function allowedHostsOf(text: string | undefined): ReadonlySet<string> {
  return new Set((text ?? '').split(',').map((host) => normalizeHost(host)).filter((host) => host !== ''))
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
}

export function blockedError(host: string, address: string): KoyaError {
  return new KoyaError('KL_JOB_WEBHOOK_BLOCKED', `Webhook destination "${host}" resolves to ${address}, a loopback, private, link-local or metadata address.`, {
    hint: `If the destination is meant to be internal, add "${host}" to KOYA_WEBHOOK_ALLOW_HOSTS (comma-separated).`,
  })
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * The guard as the HTTP agent uses it, at connect time: a literal address is checked before the
 * request (Node does not call `lookup` for one), a name through `lookup`, the DNS answer the
 * socket then connects to. Checking the very answer used to connect leaves no window for a name
 * that resolves to a public address when checked and to a private one when used (DNS rebinding).
 *
 * @example
 * const guard = createSsrfGuard(allowedHostsOf(process.env.KOYA_WEBHOOK_ALLOW_HOSTS))
 * guard.checkHost(url.hostname) // throws for http://127.0.0.1/ unless allow-listed
 * http.request(url, { lookup: guard.lookupFor(url.hostname) })
 */
export interface SsrfGuard {
  /** Throws KL_JOB_WEBHOOK_BLOCKED for a literal address that is refused; names pass (checked at lookup). */
  checkHost(hostname: string): void
  /** A `lookup` for `net.connect` that refuses names resolving to a refused address. */
  lookupFor(hostname: string): (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void
}

export function createSsrfGuard(allowed: ReadonlySet<string>): SsrfGuard {
  const isAllowed = (host: string) => allowed.has(normalizeHost(host))
  return {
    checkHost(hostname) {
      const host = normalizeHost(hostname)
      if (isIP(host) !== 0 && !isAllowed(host) && isBlockedAddress(host)) throw blockedError(host, host)
    },
    lookupFor(requested) {
      const open = isAllowed(requested)
      return (hostname, options, callback) => {
        dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, [])
          const list = addresses as LookupAddress[]
          const refused = open ? undefined : list.find((entry) => isBlockedAddress(entry.address))
          if (refused !== undefined) return callback(Object.assign(blockedError(normalizeHost(hostname), refused.address), { errno: undefined }) as unknown as NodeJS.ErrnoException, [])
          if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), [])
          if ((options as LookupAllOptions).all === true) return callback(null, list)
          callback(null, list[0]!.address, list[0]!.family)
        })
      }
    },
  }
}
