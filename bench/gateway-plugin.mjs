// The plugin the gateway bench loads: pre-auth, post-auth and response (body and chunk) hooks,
// each doing the least a real plugin would. Launched by the gateway's plugin host (it sets the
// magic cookie); not meant to be run by hand.
import { BasePlugin, serve, pass, modify } from '@plugboard/sdk'

class BenchHooks extends BasePlugin {
  manifest = { id: 'bench-hooks', name: 'Bench hooks', version: '0.0.0' }
  preAuth() {
    return pass()
  }
  postAuth() {
    return modify({ setHeaders: { 'x-bench': '1' } })
  }
  /** Response (body) hook: replaces the body with itself. */
  onResponseBody({ body }) {
    return { action: 'replace', body }
  }
  /** Rewrites every streamed chunk (identity rewrite: the bytes go back over the hook channel all the same). */
  onResponseChunk({ data }) {
    return { action: 'replace', data }
  }
}

await serve(new BenchHooks())
