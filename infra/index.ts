// The KoyaLite Docker stack: `pulumi up` in this directory (docs/deploy.md).
import * as path from 'path'
import { defineStack } from './stack'

const { outputs } = defineStack(path.resolve(__dirname, '..'))

export const url = outputs.url
export const apiUrl = outputs.apiUrl
export const graphqlUrl = outputs.graphqlUrl
export const docsUrl = outputs.docsUrl
export const studioUrl = outputs.studioUrl
export const healthUrl = outputs.healthUrl
export const apiImage = outputs.apiImage
/** Present when telemetry is on. */
export const grafanaUrl = outputs.grafanaUrl
export const grafanaLogin = outputs.grafanaLogin
