import { forwardedRequestHeaders } from '../forwarded-headers.js'
import type { VendorCall } from '../vendors/vendor.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * Calls the LLM's vendor with the request as the plugins left it, headers
 * included (minus credentials and hop-by-hop headers). A request in another
 * API goes upstream in that API when the LLM speaks it natively and the
 * hooks left its canonical form as it was translated; else canonically.
 */
export function callVendor(kind: 'chat' | 'embeddings'): Stage {
  return async (x, next) => {
    const vendor = x.state.vendors[x.llm!.vendor]
    const native = nativeApi(x)
    if (native && vendor.native) {
      x.response = await vendor.native(native, nativeCall(x, x.dialect!.nativeRequest(x.clientBody!, x.model)))
    } else {
      const call = vendorCall(x)
      x.response = kind === 'chat' ? await vendor.chat(call) : await vendor.embeddings(call)
    }
    await next()
  }
}

/** The call of the request's LLM with its canonical body. */
export function vendorCall(x: Exchange): VendorCall {
  return {
    llm: x.llm!,
    model: x.model,
    body: x.body!,
    rawBody: x.request.body,
    headers: forwardedRequestHeaders(x.request.headers),
    signal: x.signal,
    requestId: x.requestId,
    timeoutMs: x.state.config.server.upstreamTimeoutMs,
    limits: x.state.config.server,
  }
}

/** The call of the request's LLM with `body`, in the client's API. */
export function nativeCall(x: Exchange, body: Record<string, unknown>): VendorCall {
  return { ...vendorCall(x), body, rawBody: Buffer.from(JSON.stringify(body)) }
}

/** The client's API, when its request may go upstream in it: the LLM speaks it natively, and the hooks left the translated request as it was. */
export function nativeApi(x: Exchange) {
  const api = x.dialect?.api
  return api && x.request.body === x.translatedBody && x.llm!.nativeApis.includes(api) ? api : undefined
}
