import type { ProjectIR } from '../../ir/project-ir.ts'

/**
 * What the Docker stack needs to know about the app: the one place that reads the IR for it.
 * Buckets (production stores them on the S3 driver, in the stack's SeaweedFS) and replication
 * are read here; the search engine and telemetry are not in the IR (Weaviate is not built, and
 * telemetry is switched on by environment), so their services stay out of generated stacks.
 */
export interface StackFeatures {
  /** Buckets on the S3 driver: the stack runs SeaweedFS. */
  readonly s3Buckets: readonly string[]
  /** Tables whose search engine is Weaviate: the stack runs Weaviate. */
  readonly weaviateTables: readonly string[]
  /** Traces and logs are exported: the stack runs the OpenTelemetry collector, Loki and Grafana. */
  readonly telemetry: boolean
  /** The largest object any bucket accepts, in bytes; null: no buckets (NGINX's default applies). */
  readonly maxUploadBytes: number | null
  /** The database is replicated continuously: the stack runs Litestream beside the API. */
  readonly replication?: boolean
}

export function stackFeaturesOf(ir: ProjectIR): StackFeatures {
  const buckets = ir.buckets ?? []
  return {
    s3Buckets: buckets.map((bucket) => bucket.name),
    weaviateTables: [],
    telemetry: false,
    maxUploadBytes: buckets.length === 0 ? null : Math.max(...buckets.map((bucket) => bucket.maxSizeBytes)),
    replication: ir.database?.replicate === 'litestream',
  }
}
