// Host demo: launches the two example plugins as real processes (mTLS over
// Unix sockets, the Service API through the broker) and runs requests
// through their hook chains, printing what happens. `npm start` runs it.
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { HookChain, PluginHost } from '@plugboard/host'

const plugin = (name) => `file://${fileURLToPath(new URL(`./plugins/${name}`, import.meta.url))}`
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' })
const host = new PluginHost({ runtime: 'gateway', logger })

const started = performance.now()
const [allowList, enricher] = await Promise.all([
  host.load({ name: 'ip-allowlist', source: plugin('ip-allowlist'), config: { allow: ['127.0.0.1', '10.0.0.0/8'] } }),
  host.load({
    name: 'request-enricher',
    source: plugin('request-enricher'),
    config: { headers: { 'x-team': 'ml-platform' }, countRequests: true },
    scopes: ['kv.readwrite'],
  }),
])
console.log(`Loaded 2 plugins in ${Math.round(performance.now() - started)} ms:`)
for (const p of [allowList, enricher]) {
  console.log(`  ${p.name.padEnd(17)} pid ${p.pid}  capabilities: ${p.description.capabilities.join(', ')}`)
}

const preAuth = new HookChain([{ plugin: allowList, failurePolicy: 'fail-closed' }])
const postAuth = new HookChain([{ plugin: enricher, failurePolicy: 'fail-open' }])
const app = { id: 'app-demo', name: 'Demo app', allowedLlms: ['mock'], monthlyBudget: 100, metadata: {} }

async function handle(clientIp, requestId) {
  const request = {
    method: 'POST',
    path: '/v1/chat/completions',
    query: '',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Hello' }] })),
    clientIp,
  }
  console.log(`\nPOST /v1/chat/completions from ${clientIp} (${requestId})`)
  const t0 = performance.now()
  const pre = await preAuth.runPreAuth(requestId, request)
  if (pre.kind === 'block') {
    console.log(`  pre-auth   ${pre.plugin} blocked it: ${pre.status} ${pre.body}`)
    return
  }
  console.log('  pre-auth   ip-allowlist passed it')
  const context = { requestId, app, llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {} }
  const post = await postAuth.runPostAuth(pre.request, context)
  const added = Object.entries(post.request.headers).filter(([name]) => !(name in request.headers))
  console.log(`  post-auth  request-enricher added: ${added.map(([k, v]) => `${k}=${v}`).join(' ')}`)
  console.log(`  both hooks took ${((performance.now() - t0) * 1000).toFixed(0)} µs`)
}

await handle('127.0.0.1', 'req-1')
await handle('10.1.2.3', 'req-2')
await handle('203.0.113.9', 'req-3')

await host.shutdown()
console.log('\nPlugins shut down gracefully. Next: read README.md, then examples/plugins/*/src to write your own.')
