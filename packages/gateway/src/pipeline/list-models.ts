import { mayUseLlm } from '../api-keys.js'
import { GatewayError } from '../errors.js'
import { sendJson } from '../http-io.js'
import type { Exchange, Stage } from './exchange.js'

interface ModelEntry {
  id: string
  llm: string
}

/** The models of the LLMs the calling app may use, each once, with the LLM a request for it goes to (the first that lists it). */
function modelsOf(x: Exchange): ModelEntry[] {
  const app = x.app!
  const models = new Map<string, ModelEntry>()
  for (const llm of x.state.config.llms) {
    if (!mayUseLlm(app, llm.slug)) continue
    for (const id of llm.models) if (!models.has(id)) models.set(id, { id, llm: llm.slug })
  }
  return [...models.values()]
}

/** Anthropic's SDK sends `anthropic-version`: it gets models in Anthropic's shape, every other client in OpenAI's. */
function speaksAnthropic(x: Exchange): boolean {
  return x.request.headers['anthropic-version'] !== undefined
}

function shaped(anthropic: boolean, model: ModelEntry): Record<string, unknown> {
  return anthropic
    ? { type: 'model', id: model.id, display_name: model.id, created_at: new Date(0).toISOString() }
    : { id: model.id, object: 'model', created: 0, owned_by: model.llm }
}

/** `GET /v1/models`: the models of the LLMs the calling app may use. */
export const listModels: Stage = async (x) => {
  const anthropic = speaksAnthropic(x)
  const data = modelsOf(x).map((model) => shaped(anthropic, model))
  x.status = 200
  const body = anthropic
    ? { data, has_more: false, first_id: (data[0]?.id as string | undefined) ?? null, last_id: (data.at(-1)?.id as string | undefined) ?? null }
    : { object: 'list', data }
  sendJson(x.res, 200, body, { 'x-request-id': x.requestId })
}

/** The path of one model, its id after it. */
export const MODEL_PREFIX = '/v1/models/'

/** A model id from its path: ids like `org/model` keep their slash; a broken %-escape is the client's error. */
function modelIdOf(x: Exchange): string {
  try {
    return decodeURIComponent(x.url.pathname.slice(MODEL_PREFIX.length))
  } catch (cause) {
    throw new GatewayError('BAD_REQUEST', 'the model id in the URL has a malformed %-escape', undefined, { cause })
  }
}

/** `GET /v1/models/{id}`: one model the calling app may use; MODEL_NOT_FOUND for any other (one it may not use is not told apart). */
export const retrieveModel: Stage = async (x) => {
  const id = modelIdOf(x)
  const model = modelsOf(x).find((entry) => entry.id === id)
  if (!model) throw new GatewayError('MODEL_NOT_FOUND', `model "${id}" is not served here; GET /v1/models lists the models you can use`)
  x.status = 200
  sendJson(x.res, 200, shaped(speaksAnthropic(x), model), { 'x-request-id': x.requestId })
}
