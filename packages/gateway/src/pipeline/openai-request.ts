import { mayUseLlm, requireLlmAllowed } from '../api-keys.js'
import { llmBySlug, type GatewayConfig, type LlmConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import { parseJsonObject, requireJsonContentType } from '../http-io.js'
import { maxCompletionTokensOf } from '../usage.js'
import { validateRequest } from '../validate-request.js'
import type { Stage } from './exchange.js'

/**
 * The LLM of a request: the one the route is pinned to, else the first that
 * lists the model among those the app may use. Another LLM adding a model an
 * app already uses does not take it over; LLM_NOT_ALLOWED when only LLMs the
 * app may not use serve it (without naming them).
 */
function routeLlm(config: GatewayConfig, app: { name: string; allowedLlms: string[] }, model: string, pinned: string | undefined): LlmConfig {
  if (pinned) {
    const llm = llmBySlug(config, pinned)
    requireLlmAllowed(app, llm.slug)
    return llm
  }
  const serving = config.llms.filter((candidate) => candidate.models.includes(model))
  if (serving.length === 0) throw new GatewayError('MODEL_NOT_FOUND', `model "${model}" is not served here; GET /v1/models lists the models you can use`)
  const allowed = serving.find((candidate) => mayUseLlm(app, candidate.slug))
  if (!allowed) throw new GatewayError('LLM_NOT_ALLOWED', `app "${app.name}" may not use model "${model}": no LLM it may use serves it`)
  return allowed
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
      const llm = routeLlm(x.state.config, x.app!, model, x.pinnedLlm)
      x.body = body
      x.parsedFrom = x.request.body
      x.routeTo(llm, model, kind === 'chat' && body.stream === true)
      x.maxCompletionTokens = kind === 'chat' ? maxCompletionTokensOf(body, x.state.config.budgets.defaultCompletionTokens) : 0
    }
    return next()
  }
}
