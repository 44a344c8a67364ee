import { forwardedRequestHeaders } from '../forwarded-headers.js'
import type { Stage } from './exchange.js'

/** Calls the LLM's vendor with the request as the plugins left it, headers included (minus credentials and hop-by-hop headers). */
export function callVendor(kind: 'chat' | 'embeddings'): Stage {
  return async (x, next) => {
    const llm = x.llm!
    const vendor = x.state.vendors[llm.vendor]
    const call = {
      llm,
      model: x.model,
      body: x.body!,
      rawBody: x.request.body,
      headers: forwardedRequestHeaders(x.request.headers),
      signal: x.signal,
      requestId: x.requestId,
      timeoutMs: x.state.config.server.upstreamTimeoutMs,
      limits: x.state.config.server,
    }
    x.response = kind === 'chat' ? await vendor.chat(call) : await vendor.embeddings(call)
    await next()
  }
}
