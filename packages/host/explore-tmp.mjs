import { PluginHost } from '/work/wt-review-host/packages/host/dist/index.js'
import pino from 'pino'
const host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'warn' }) })
const p = await host.load({ name: 'explore', source: 'file:///work/wt-review-host/packages/host/test/fixtures/explore-tmp.mjs', healthIntervalMs: 0, ...(process.argv[2] === 'noiso' ? { isolation: false } : {}) })
const r = await p.callHook('preAuth', { requestId: 'r', request: { method: 'POST', path: '/', query: '', headers: {}, body: Buffer.alloc(0), clientIp: '1' } }, { deadlineMs: 10000 })
console.log(JSON.stringify(r.result.value.metadata, null, 1))
await host.shutdown()
