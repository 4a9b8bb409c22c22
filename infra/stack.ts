import * as pulumi from '@pulumi/pulumi'
import * as path from 'path'
import { createApi, type Api } from './api'
import { createFoundation, type Foundation } from './foundation'
import { createGateway, type Gateway } from './gateway'
import { createServices } from './services'
import { readSettings, stackSecrets } from './settings'
import { readStackFile } from './stack-file'
import type * as docker from '@pulumi/docker'

export interface KoyaStack {
  readonly foundation: Foundation
  readonly api: Api
  readonly services: ReadonlyMap<string, docker.Container>
  readonly gateway: Gateway
  readonly outputs: Record<string, pulumi.Input<string>>
}

/**
 * The whole stack of one environment, from generated/stack.json (under `projectRoot`), the
 * Pulumi config and the Dockerfile.
 */
export function defineStack(projectRoot: string): KoyaStack {
  const config = new pulumi.Config()
  const settings = readSettings(config)
  const stack = readStackFile(path.join(projectRoot, settings.stackFile))
  const foundation = createFoundation(stack, pulumi.getStack())
  const secrets = stackSecrets(config, stack)
  const services = createServices(stack, settings.domain, secrets, foundation, projectRoot)
  const api = createApi(stack, settings, config, foundation, projectRoot, [...services.values()])
  const gateway = createGateway(stack, settings, foundation, projectRoot, [api.container])
  const url = `https://${settings.domain}`
  const outputs: Record<string, pulumi.Input<string>> = {
    url,
    apiUrl: `${url}/api/`,
    graphqlUrl: `${url}/graphql`,
    docsUrl: `${url}/docs`,
    studioUrl: `${url}/_/`,
    healthUrl: `${url}/healthz`,
    apiImage: api.image,
  }
  if (services.has('grafana')) {
    outputs.grafanaUrl = `${url}/grafana/`
    outputs.grafanaLogin = 'user admin; password: pulumi config get GRAFANA_ADMIN_PASSWORD'
  }
  return { foundation, api, services, gateway, outputs }
}
