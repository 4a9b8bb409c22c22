import * as docker from '@pulumi/docker'
import type { StackFile } from './stack-file'

/** The stack's private network and its named volumes, each prefixed by app and environment. */
export interface Foundation {
  readonly prefix: string
  readonly network: docker.Network
  readonly volumes: ReadonlyMap<string, docker.Volume>
}

export function createFoundation(stack: StackFile, environment: string): Foundation {
  const prefix = `${stack.app}-${environment}`
  const network = new docker.Network('network', { name: `${prefix}-net`, driver: 'bridge' })
  const volumes = new Map(stack.volumes.map((name) => [name, new docker.Volume(`volume-${name}`, { name: `${prefix}-${name}` }, { protect: name === 'data' })]))
  return { prefix, network, volumes }
}

export function volumeOf(foundation: Foundation, name: string): docker.Volume {
  const volume = foundation.volumes.get(name)
  if (!volume) throw new Error(`stack.json mounts the volume "${name}" but does not list it in "volumes": run \`npx koyalite generate\` again.`)
  return volume
}

/** Logs rotate: json-file, 3 × 10 MB per container. */
export const logging = { logDriver: 'json-file', logOpts: { 'max-size': '10m', 'max-file': '3' } }
