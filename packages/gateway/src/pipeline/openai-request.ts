import { requireLlmAllowed } from '../api-keys.js'
import { llmBySlug, type GatewayConfig, type LlmConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import { parseJsonObject, requireJsonContentType } from '../http-io.js'
import { maxCompletionTokensOf } from '../usage.js'
import { validateRequest } from '../validate-request.js'
import type { Stage } from './exchange.js'

/** The LLM of a request: the one the route is pinned to, else the one that lists the model. */
function routeLlm(config: GatewayConfig, model: string, pinned: string | undefined): LlmConfig {
  if (pinned) return llmBySlug(config, pinned)
  const llm = config.llms.find((candidate) => candidate.models.includes(model))
  if (!llm) throw new GatewayError('MODEL_NOT_FOUND', `model "${model}" is not served here; GET /v1/models lists the models you can use`)
  return llm
}

/**
 * The request stage of the OpenAI routes: the body must be JSON in the shape
 * of the API (validated), its model picks the LLM, and the app must be
 * allowed to use it. Runs before post-auth and again after it, when a plugin
 * changed the body (unchanged bytes are not read twice).
 */
export function openAiRequest(kind: 'chat' | 'embeddings'): Stage {
  // Synchronous: nothing here waits, and this runs twice per request.
  return (x, next) => {
    if (x.parsedFrom !== x.request.body) {
      requireJsonContentType(x.request.headers)
      const body = parseJsonObject(x.request.body)
      validateRequest(kind, body)
      const model = body.model as string
      const llm = routeLlm(x.state.config, model, x.pinnedLlm)
      requireLlmAllowed(x.app!, llm.slug)
      x.body = body
      x.parsedFrom = x.request.body
      x.routeTo(llm, model, kind === 'chat' && body.stream === true)
      x.maxCompletionTokens = kind === 'chat' ? maxCompletionTokensOf(body, x.state.config.budgets.defaultCompletionTokens) : 0
    }
    return next()
  }
}
