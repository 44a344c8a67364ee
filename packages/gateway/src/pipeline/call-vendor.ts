import { forwardedRequestHeaders } from '../forwarded-headers.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * Calls the LLM's vendor with the request as the plugins left it, headers
 * included (minus credentials and hop-by-hop headers). A request in another
 * API goes upstream in that API when the LLM speaks it natively and the
 * hooks left its canonical form as it was translated; else canonically.
 */
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
    const native = nativeApi(x)
    if (native && vendor.native) {
      const body = x.dialect!.nativeRequest(x.clientBody!, x.model)
      x.response = await vendor.native(native, { ...call, body, rawBody: Buffer.from(JSON.stringify(body)) })
    } else {
      x.response = kind === 'chat' ? await vendor.chat(call) : await vendor.embeddings(call)
    }
    await next()
  }
}

/** The client's API, when its request may go upstream in it. */
function nativeApi(x: Exchange) {
  const api = x.dialect?.api
  return api && x.request.body === x.translatedBody && x.llm!.nativeApis.includes(api) ? api : undefined
}
