/**
 * generated/stack.json: what the Docker stack needs to run this app, read by the Pulumi program in
 * infra/ (its own copy of these types: infra/stack-file.ts) and printed as the compose file. Every
 * list has a defined order so the file is deterministic.
 */

export const STACK_FILE_VERSION = 1

/** Where an environment variable of the API container gets its value. */
export interface StackEnvIR {
  readonly name: string
  /** A secret goes through `pulumi config set --secret` and stays encrypted in the state. */
  readonly secret: boolean
  /** Required: `pulumi up` stops when the config has no value for it. */
  readonly required: boolean
  /** What in the app reads it (`auth.oauth.github.clientSecret`), for the operator. */
  readonly usedBy: string
}

/** A named Docker volume mounted at `path`. */
export interface StackVolumeMountIR {
  readonly volume: string
  readonly path: string
}

/** A generated file a container mounts read-only. */
export interface StackFileMountIR {
  /** Relative to the project root: `generated/infra/nginx.conf`. */
  readonly source: string
  readonly path: string
}

/** A path NGINX proxies to a container of the stack. */
export interface GatewayRouteIR {
  /** An NGINX location prefix: `/`, `/api/`, `/realtime`. */
  readonly path: string
  /** The container (`api`, `grafana`) and its port. */
  readonly service: string
  readonly port: number
  /** NGINX's client_max_body_size (`1m`, `64m`). */
  readonly bodyLimit: string
  /** Requests per second per client address, with this burst; null: no limit at the edge. */
  readonly rateLimit: { readonly zone: string; readonly burst: number } | null
  /** Pass the Upgrade handshake (WebSocket) and keep the connection open for an hour. */
  readonly websocket: boolean
  /** Stream the request body to the upstream instead of buffering it (uploads). */
  readonly streamBody: boolean
}

export interface RateLimitZoneIR {
  readonly name: string
  readonly perSecond: number
}

/** A container a feature of the app needs beside the API (SeaweedFS, Weaviate, Grafana…). */
export interface StackServiceIR {
  readonly name: string
  /** A pinned image. */
  readonly image: string
  readonly command: readonly string[]
  /** The port other containers reach it on (never published on the host). */
  readonly port: number
  readonly volumes: readonly StackVolumeMountIR[]
  readonly files: readonly StackFileMountIR[]
  /** Plain environment of the service. */
  readonly env: Readonly<Record<string, string>>
  /** Environment of the service taken from stack secrets: variable → secret name. */
  readonly secretEnv: Readonly<Record<string, string>>
  /** Memory limit in MiB. */
  readonly memoryMb: number
  /** A command that exits 0 while the service is healthy; null: none. */
  readonly healthcheck: readonly string[] | null
}

export interface StackIR {
  readonly version: typeof STACK_FILE_VERSION
  readonly app: string
  readonly api: {
    readonly port: number
    readonly healthPath: string
    /** The volume at /data: the SQLite database and local storage. */
    readonly dataVolume: string
    readonly dataPath: string
    /** Fixed environment of the API container. */
    readonly env: Readonly<Record<string, string>>
    /** Environment from Pulumi config (secrets among them), sorted by name. */
    readonly config: readonly StackEnvIR[]
    readonly memoryMb: number
  }
  readonly gateway: {
    readonly image: string
    readonly config: StackFileMountIR
    readonly routes: readonly GatewayRouteIR[]
    readonly rateLimits: readonly RateLimitZoneIR[]
    /** Paths NGINX answers 404 for (internal endpoints such as /metrics). */
    readonly blocked: readonly string[]
    /** NGINX's command (`sh -c`): wait for a certificate, reload when it changes, serve. */
    readonly command: string
    /** The Let's Encrypt client, run when TLS comes from certbot (`tls: letsencrypt`). */
    readonly certbot: {
      readonly image: string
      /** `sh -c`; reads KOYA_DOMAIN and KOYA_ACME_EMAIL. */
      readonly command: string
    }
  }
  /** Sorted by name. */
  readonly services: readonly StackServiceIR[]
  /** Secrets the services share with the API (S3 keys, Grafana's admin password), sorted. */
  readonly secrets: readonly StackEnvIR[]
  /** Every named volume, sorted. */
  readonly volumes: readonly string[]
}
