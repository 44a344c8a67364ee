#!/usr/bin/env node
// The plugin of the Service API KV benchmark (service-kv.mjs): on a pre-auth call it runs
// `x-workers` concurrent loops of kv.get or kv.set (`x-op`) through the SDK for `x-ms`
// milliseconds and answers how many calls completed and how many failed; `x-op: fill` sets each
// of the keys once (so every get finds its key).
import { BasePlugin, modify, serve } from '@plugboard/sdk'

const KEYS = 1000
const VALUE = Buffer.alloc(100, 'v')

class KvBench extends BasePlugin {
  manifest = { id: 'kv-bench', name: 'KV benchmark', version: '0.0.0', permissions: { services: ['kv.readwrite'] } }

  async preAuth({ request }, ctx) {
    const { headers } = request
    const kv = ctx.services.kv
    const op = headers['x-op']
    const until = Date.now() + Number(headers['x-ms'])
    let calls = 0
    let failed = 0
    const worker = async (w) => {
      if (op === 'fill') {
        for (let i = w; i < KEYS; i += Number(headers['x-workers'])) {
          await kv.set(`key-${i}`, VALUE).then(() => calls++, () => failed++)
        }
        return
      }
      for (let i = w; Date.now() < until; i++) {
        const key = `key-${i % KEYS}`
        try {
          if (op === 'get') {
            if ((await kv.get(key)) === undefined) failed++
          } else await kv.set(key, VALUE)
          calls++
        } catch {
          failed++
        }
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: Number(headers['x-workers']) }, (_, w) => worker(w)))
    return modify({ metadata: { calls: String(calls), failed: String(failed), ms: String(performance.now() - started) } })
  }
}

await serve(new KvBench())
