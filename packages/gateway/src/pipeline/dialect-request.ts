import { parseJsonObject, requireJsonContentType } from '../http-io.js'
import type { Stage } from './exchange.js'
import { openAiRequest } from './openai-request.js'

const chatRequest = openAiRequest('chat')
const CANONICAL_PATH = '/v1/chat/completions'

/**
 * The request stage of the routes of another API (Messages, Responses): the
 * first time, the client's body is translated to the canonical
 * chat-completions request, which replaces the body hooks see (its path too:
 * hooks after auth see a chat completion whichever API the client spoke);
 * then, as on the chat route, the canonical body is validated and picks the
 * LLM — again after post-auth, when a plugin changed it.
 */
export const dialectRequest: Stage = (x, next) => {
  if (!x.answer) {
    const dialect = x.dialect!
    requireJsonContentType(x.request.headers)
    const body = parseJsonObject(x.request.body)
    const canonical = dialect.toCanonical(body)
    x.answer = dialect.answer(body)
    x.clientBody = body
    x.translatedBody = Buffer.from(JSON.stringify(canonical))
    const { 'content-length': _length, ...headers } = x.request.headers
    x.request = { ...x.request, path: CANONICAL_PATH, headers, body: x.translatedBody }
  }
  return chatRequest(x, next)
}
