// Service API KV benchmark: `node packages/studio/bench/service-kv.mjs [--seconds 3] [--workers 64]`
// (after `npm run build`). A real plugin process (kv-bench-plugin.mjs, SDK) calls kv.set, then
// kv.get, through the Service API of a Studio-runtime PluginHost whose KV is the PostgresKvStore on
// a warm embedded database: with the exact read cache (as `plugboard up` runs it) and without (every
// get a query), and, for the transport's ceiling, the in-process MemoryKvStore. Prints one JSON line of calls/s. The plugin's Service API rate limit is raised for
// the run, so the figures are the store's and the transport's, not the limiter's (default 20,000/s).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { PluginHost } from '@plugboard/host'
import { MemoryKvStore } from '@plugboard/proto'
import { openDatabase, PostgresKvStore } from '../dist/index.js'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, workers: { type: 'string', default: '64' } } })
const MS = Number(args.seconds) * 1000
// The plugin imports the SDK from the workspace's node_modules: Node's permission model must let it read there.
const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const logger = pino({ level: 'silent' })
const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-kv-'))
const database = await openDatabase({ dataDir })
const figures = { workers: Number(args.workers), seconds: Number(args.seconds) }
const hosts = []

async function plugin(name, exactReadCache, kv = new PostgresKvStore({ db: database.db, logger, exactReadCache })) {
  const host = new PluginHost({ runtime: 'studio', logger, kv })
  hosts.push({ host, kv })
  const source = new URL('./kv-bench-plugin.mjs', import.meta.url).href
  // One namespace for both: the uncached run reads what the cached one wrote.
  return host.load({ name, source, scopes: ['kv.readwrite'], serviceApiRateLimit: { callsPerSecond: 1e7 }, allowRead: [REPO] })
}

async function run(managed, op, ms = MS) {
  const { result } = await managed.callHook('preAuth', { requestId: op, request: { method: 'POST', path: '/', query: '', headers: { 'x-op': op, 'x-ms': String(ms), 'x-workers': args.workers }, body: Buffer.alloc(0), clientIp: '127.0.0.1' } }, { deadlineMs: ms + 30_000 })
  const { calls, failed, ms: took } = result.value.metadata
  return { perSecond: Math.round(Number(calls) / (Number(took) / 1000)), failed: Number(failed) }
}

try {
  const cached = await plugin('kv-bench', true)
  // Warm: every key the gets read exists (and is in the read cache), the database and the plugin's connection are hot.
  await run(cached, 'fill')
  await run(cached, 'set', 500)
  figures.setPerSecond = (await run(cached, 'set')).perSecond
  figures.getPerSecond = (await run(cached, 'get')).perSecond
  await hosts[0].host.shutdown()
  const direct = await plugin('kv-bench', false)
  await run(direct, 'get', 500)
  figures.getPerSecondUncached = (await run(direct, 'get')).perSecond
  await hosts[1].host.shutdown()
  // The same calls against the in-process MemoryKvStore: the ceiling of the plugin ↔ host transport alone.
  const memory = await plugin('kv-bench', false, new MemoryKvStore())
  await run(memory, 'fill')
  figures.getPerSecondMemoryStore = (await run(memory, 'get')).perSecond
  process.stdout.write(`${JSON.stringify(figures)}\n`)
} finally {
  for (const { host, kv } of hosts) {
    await host.shutdown()
    await (kv.stop?.() ?? kv.close())
  }
  await database.close()
  rmSync(dataDir, { recursive: true, force: true })
}
