import type { GeneratedFile } from '../../shared/generated-file.ts'
import type { StackFeatures } from './stack-features.ts'
import type { GatewayRouteIR, StackEnvIR, StackServiceIR } from './stack-model.ts'
import { litestreamFiles } from './litestream-files.ts'
import { grafanaFiles, otelCollectorFiles } from './telemetry-files.ts'

/**
 * A container the stack runs when a feature of the app needs it. To add one: an entry here (its
 * pinned image, what it mounts, the environment it gives the API) with the predicate that says
 * when the app needs it. The stack file, the compose file, NGINX and the Pulumi program follow.
 */
export interface StackServiceDef {
  needed(features: StackFeatures): boolean
  readonly service: Omit<StackServiceIR, 'name'>
  /** Plain environment the API container gets when this service runs. */
  readonly apiEnv: Readonly<Record<string, string>>
  /** Secrets this service shares with the API (the API reads them under the same names). */
  readonly secrets: readonly StackEnvIR[]
  /** A path NGINX proxies to it (Grafana); absent: reached only inside the stack's network. */
  readonly route?: Omit<GatewayRouteIR, 'service' | 'port'>
  /** Configuration files it mounts, generated beside nginx.conf. */
  files?(app: string): GeneratedFile[]
}

export type StackServiceName = 'seaweedfs' | 'weaviate' | 'otel-collector' | 'loki' | 'grafana' | 'litestream'

const none = {} as const

/** The one placeholder a service's env value may hold: the stack's domain (Pulumi config, compose env file). */
export const DOMAIN = '${KOYA_DOMAIN}'

export const STACK_SERVICES: Readonly<Record<StackServiceName, StackServiceDef>> = {
  // S3-compatible object storage for buckets on the S3 driver (issue 13).
  seaweedfs: {
    needed: (features) => features.s3Buckets.length > 0,
    service: {
      image: 'chrislusf/seaweedfs:3.80',
      command: ['server', '-dir=/data', '-s3', '-s3.port=8333', '-volume.max=0', '-master.volumeSizeLimitMB=1024'],
      port: 8333,
      volumes: [{ volume: 'seaweedfs', path: '/data' }],
      files: [],
      env: none,
      // SeaweedFS makes an admin S3 identity from these when it has no s3.json.
      secretEnv: { AWS_ACCESS_KEY_ID: 'KOYA_S3_ACCESS_KEY_ID', AWS_SECRET_ACCESS_KEY: 'KOYA_S3_SECRET_ACCESS_KEY' },
      memoryMb: 512,
      healthcheck: null,
    },
    // The API's buckets all live in one S3 bucket it makes at boot (drivers/s3.ts, ensureS3Bucket).
    apiEnv: { KOYA_STORAGE_DRIVER: 's3', KOYA_S3_ENDPOINT: 'http://seaweedfs:8333', KOYA_S3_BUCKET: 'koyalite', KOYA_S3_FORCE_PATH_STYLE: 'true', KOYA_S3_REGION: 'us-east-1' },
    secrets: [
      { name: 'KOYA_S3_ACCESS_KEY_ID', secret: true, required: true, usedBy: 'storage (S3 driver) and SeaweedFS' },
      { name: 'KOYA_S3_SECRET_ACCESS_KEY', secret: true, required: true, usedBy: 'storage (S3 driver) and SeaweedFS' },
    ],
  },
  // Vector search for tables whose search engine is Weaviate (issue 14).
  weaviate: {
    needed: (features) => features.weaviateTables.length > 0,
    service: {
      image: 'cr.weaviate.io/semitechnologies/weaviate:1.30.0',
      command: ['--host', '0.0.0.0', '--port', '8080', '--scheme', 'http'],
      port: 8080,
      volumes: [{ volume: 'weaviate', path: '/var/lib/weaviate' }],
      files: [],
      env: {
        AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false',
        AUTHENTICATION_APIKEY_ENABLED: 'true',
        AUTHENTICATION_APIKEY_USERS: 'koyalite',
        CLUSTER_HOSTNAME: 'node1',
        DEFAULT_VECTORIZER_MODULE: 'none',
        PERSISTENCE_DATA_PATH: '/var/lib/weaviate',
      },
      secretEnv: { AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'KOYA_WEAVIATE_API_KEY' },
      memoryMb: 1024,
      healthcheck: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/v1/.well-known/ready'],
    },
    apiEnv: { KOYA_WEAVIATE_URL: 'http://weaviate:8080', KOYA_WEAVIATE_GRPC: 'weaviate:50051' },
    secrets: [{ name: 'KOYA_WEAVIATE_API_KEY', secret: true, required: true, usedBy: 'search (Weaviate) and Weaviate' }],
  },
  // Traces and logs over OTLP when telemetry is on (issue 18); logs go on to Loki.
  'otel-collector': {
    needed: (features) => features.telemetry,
    service: {
      image: 'otel/opentelemetry-collector-contrib:0.120.0',
      command: ['--config=/etc/otelcol/config.yaml'],
      port: 4318,
      volumes: [],
      files: [{ source: 'generated/infra/otel-collector.yaml', path: '/etc/otelcol/config.yaml' }],
      env: none,
      secretEnv: none,
      memoryMb: 256,
      healthcheck: null,
    },
    apiEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' },
    secrets: [],
    files: otelCollectorFiles,
  },
  loki: {
    needed: (features) => features.telemetry,
    service: {
      image: 'grafana/loki:3.4.2',
      command: ['-config.file=/etc/loki/local-config.yaml'],
      port: 3100,
      volumes: [{ volume: 'loki', path: '/loki' }],
      files: [],
      env: none,
      secretEnv: none,
      memoryMb: 512,
      healthcheck: null,
    },
    apiEnv: { KOYA_LOKI_URL: 'http://loki:3100' },
    secrets: [],
  },
  // Continuous replication of the database (database.replicate: 'litestream', issue 20): the
  // WAL streamed to S3, restorable to any second within the retention (docs/backup.md).
  litestream: {
    needed: (features) => features.replication === true,
    service: {
      image: 'litestream/litestream:0.3.13',
      command: ['replicate', '-config', '/etc/litestream.yml'],
      // Its metrics (Prometheus) on :9090, inside the stack's network only.
      port: 9090,
      // The API's own volume: Litestream reads the database file and its WAL beside the API.
      volumes: [{ volume: 'data', path: '/data' }],
      files: [{ source: 'generated/infra/litestream.yml', path: '/etc/litestream.yml' }],
      env: none,
      secretEnv: { LITESTREAM_ACCESS_KEY_ID: 'KOYA_REPLICA_ACCESS_KEY_ID', LITESTREAM_SECRET_ACCESS_KEY: 'KOYA_REPLICA_SECRET_ACCESS_KEY', KOYA_REPLICA_URL: 'KOYA_REPLICA_URL', KOYA_REPLICA_ENDPOINT: 'KOYA_REPLICA_ENDPOINT' },
      memoryMb: 256,
      healthcheck: null,
    },
    apiEnv: none,
    secrets: [
      { name: 'KOYA_REPLICA_URL', secret: false, required: true, usedBy: 'Litestream: the replica, s3://<bucket>/<path>' },
      { name: 'KOYA_REPLICA_ENDPOINT', secret: false, required: true, usedBy: 'Litestream: the S3 server (http://seaweedfs:8333 for the stack\'s own)' },
      { name: 'KOYA_REPLICA_ACCESS_KEY_ID', secret: true, required: true, usedBy: 'Litestream: S3 credentials' },
      { name: 'KOYA_REPLICA_SECRET_ACCESS_KEY', secret: true, required: true, usedBy: 'Litestream: S3 credentials' },
    ],
    files: litestreamFiles,
  },
  grafana: {
    needed: (features) => features.telemetry,
    service: {
      image: 'grafana/grafana:11.5.2',
      command: [],
      port: 3000,
      volumes: [{ volume: 'grafana', path: '/var/lib/grafana' }],
      files: [
        { source: 'generated/infra/grafana/datasources.yaml', path: '/etc/grafana/provisioning/datasources/koyalite.yaml' },
        { source: 'generated/infra/grafana/dashboards.yaml', path: '/etc/grafana/provisioning/dashboards/koyalite.yaml' },
        { source: 'generated/infra/grafana/koyalite-dashboard.json', path: '/etc/grafana/dashboards/koyalite.json' },
      ],
      env: { GF_SERVER_ROOT_URL: `https://${DOMAIN}/grafana/`, GF_SERVER_SERVE_FROM_SUB_PATH: 'true', GF_USERS_ALLOW_SIGN_UP: 'false' },
      secretEnv: { GF_SECURITY_ADMIN_PASSWORD: 'GRAFANA_ADMIN_PASSWORD' },
      memoryMb: 256,
      healthcheck: null,
    },
    apiEnv: none,
    secrets: [{ name: 'GRAFANA_ADMIN_PASSWORD', secret: true, required: true, usedBy: 'Grafana (user admin)' }],
    route: { path: '/grafana/', bodyLimit: '1m', rateLimit: { zone: 'api', burst: 40 }, websocket: true, streamBody: false },
    files: grafanaFiles,
  },
}
