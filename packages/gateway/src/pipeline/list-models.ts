import { mayUseLlm } from '../api-keys.js'
import { sendJson } from '../http-io.js'
import type { Stage } from './exchange.js'

/** `GET /v1/models`: the models of the LLMs the calling app may use. */
export const listModels: Stage = async (x) => {
  const app = x.app!
  const data = x.state.config.llms
    .filter((llm) => mayUseLlm(app, llm.slug))
    .flatMap((llm) => llm.models.map((id) => ({ id, object: 'model', created: 0, owned_by: llm.slug })))
  x.status = 200
  sendJson(x.res, 200, { object: 'list', data }, { 'x-request-id': x.requestId })
}
