import type { ProjectIR } from '../../ir/project-ir.ts'

/**
 * What the Docker stack needs to know about the app: the one place that reads the IR for it.
 * Storage, search engines and telemetry are not in the IR yet (issues 13, 14, 18): when one
 * lands, read it here and its service (stack-services.ts) joins the stack of apps that use it.
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
}

export function stackFeaturesOf(_ir: ProjectIR): StackFeatures {
  return { s3Buckets: [], weaviateTables: [], telemetry: false, maxUploadBytes: null }
}
