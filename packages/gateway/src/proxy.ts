import type { ApiKeyAuthenticator } from './api-keys.js'
import { authenticate } from './authenticate.js'
import type { BudgetLimits } from './budget-limits.js'
import type { GatewayConfig, LlmConfig } from './config.js'
import type { GatewayChains } from './gateway-plugins.js'
import { passThroughRequest, relayUpstream } from './passthrough.js'
import { callVendor } from './pipeline/call-vendor.js'
import { collect } from './pipeline/collect.js'
import { compose } from './pipeline/compose.js'
import type { Exchange, Stage } from './pipeline/exchange.js'
import { countTokens, countTokensRequest } from './pipeline/count-tokens.js'
import { dialectRequest } from './pipeline/dialect-request.js'
import { listModels, retrieveModel } from './pipeline/list-models.js'
import { noLlm } from './pipeline/no-llm.js'
import { observe } from './pipeline/observe.js'
import { openAiRequest } from './pipeline/openai-request.js'
import { postAuth } from './pipeline/post-auth.js'
import { preAuth } from './pipeline/pre-auth.js'
import { receive } from './pipeline/receive.js'
import { requestContext } from './pipeline/request-context.js'
import { reserveBudget } from './pipeline/reserve-budget.js'
import { respond } from './pipeline/respond.js'
import { serveEndpoint } from './plugin-endpoints.js'
import type { RequestApi } from './request-log.js'
import type { Vendor } from './vendors/vendor.js'

/** Everything a request runs under, swapped as a whole when the config reloads. */
export interface ProxyState {
  config: GatewayConfig
  chains: GatewayChains
  keys: ApiKeyAuthenticator
  budgets: BudgetLimits
  vendors: Record<LlmConfig['vendor'], Vendor>
}

/**
 * The one pipeline of every client route, in order:
 *
 * collect (after all: stream-complete, data collection) → observe (errors,
 * metrics, log) → receive → pre-auth → authenticate → the route's request
 * stage → request context → post-auth → the route's request stage again (a
 * changed body) → budget (reserve; settle after) → the route's terminal
 * stages.
 *
 * A route chooses only how its request is read (`request`), what answers
 * it (`terminal`) and, for the LLM routes, the `api` the client speaks
 * (`Exchange.api`: its requests are logged under it, plugins see it); it
 * cannot leave out a policy stage.
 */
function policyPipeline(request: Stage, terminal: readonly Stage[], api?: RequestApi): (x: Exchange) => Promise<void> {
  const run = compose([collect, observe, receive, preAuth, authenticate, request, requestContext, postAuth, request, reserveBudget, ...terminal])
  return (x) => {
    x.api = api
    return run(x)
  }
}

/** The pipeline of each client route, built once. */
export const pipelines = {
  chat: policyPipeline(openAiRequest('chat'), [callVendor('chat'), respond], 'chat.completions'),
  embeddings: policyPipeline(openAiRequest('embeddings'), [callVendor('embeddings'), respond], 'embeddings'),
  passThrough: policyPipeline(passThroughRequest, [relayUpstream, respond], 'passthrough'),
  /** Anthropic Messages and OpenAI Responses: the chat pipeline, the body translated at the edges (`Exchange.dialect`). */
  messages: policyPipeline(dialectRequest, [callVendor('chat'), respond], 'anthropic.messages'),
  countTokens: policyPipeline(countTokensRequest, [countTokens]),
  responses: policyPipeline(dialectRequest, [callVendor('chat'), respond], 'responses'),
  models: policyPipeline(noLlm, [listModels]),
  model: policyPipeline(noLlm, [retrieveModel]),
  pluginEndpoint: policyPipeline(noLlm, [serveEndpoint]),
  /** A plugin endpoint that declares no auth: the pre-auth policies (an IP allowlist) still apply. */
  publicPluginEndpoint: compose([collect, observe, receive, preAuth, serveEndpoint]),
}
