// Studio benchmark: `npm run bench:studio` (`-- --quick` for a shorter run). See bench/README.md
// ("Studio benchmark") for what each figure means and the issue's targets. Every server runs in its
// own process (`plugboard up`, `plugboard gateway`), the load generator in another.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { scratchPostgres } from '../packages/studio/dist/testing.js'
import { freePort } from './free-port.mjs'
import { percentile } from './sequential.mjs'

const QUICK = process.argv.includes('--quick')
const here = (file) => fileURLToPath(new URL(file, import.meta.url))
const CLI = here('../packages/cli/dist/main.js')
const TOKEN = 'pbt_bench_admin_token_0123456789'
const APP_KEY = 'pb-bench-studio-key-0123456789'
const PLAN = {
  coldStarts: QUICK ? 2 : 5,
  crudSec: QUICK ? 2 : 4,
  crudConnections: 8,
  changes: QUICK ? 50 : 200,
  gatewaySec: QUICK ? 3 : 5,
  gatewayRounds: QUICK ? 1 : 2,
  gatewayConnections: 16,
  analyticsRows: QUICK ? 100_000 : 1_000_000,
  reloadSec: QUICK ? 3 : 5,
  hookedWrites: QUICK ? 50 : 200,
}
const TARGETS = { coldStartMs: 3000, changeP99Ms: 100, gatewayShare: 0.9, kvGetsPerSecond: 10_000 }

const progress = (message) => process.stderr.write(`[bench] ${message}\n`)
const cleanups = new Set()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
    process.exit(130)
  })
}


/** A `plugboard` command as a child process; resolves once `url`/ready answers 200. */
async function startCli(args, env, readyUrl) {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn', ...env } })
  createInterface({ input: child.stdout }).on('line', () => undefined)
  const stop = async () => {
    cleanups.delete(stop)
    if (child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  cleanups.add(stop)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`plugboard ${args.join(' ')} exited with ${child.exitCode}`)
    try {
      const response = await fetch(readyUrl)
      if (response.status === 200) break
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return { child, stop, readyMs: performance.now() - started }
}

async function startUp({ dataDir, databaseUrl, args = [] }) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { PLUGBOARD_ADMIN_TOKEN: TOKEN, PLUGBOARD_ADMIN_PASSWORD: 'bench-admin-password', ...(databaseUrl && { DATABASE_URL: databaseUrl }) }
  const running = await startCli(['up', '--no-seed', '--data', dataDir, '--port', String(port), ...args], env, `${url}/ready`)
  return { ...running, url }
}

async function api(url, method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' }) },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response.headers.get('content-type')?.includes('json') ? response.json() : response.text()
}

/** autocannon in its own process (bench/gateway-load.mjs). */
async function load(options) {
  const child = spawn(process.execPath, [here('./gateway-load.mjs'), JSON.stringify({ warmupSec: 1, ...options })], { stdio: ['ignore', 'pipe', 'inherit'] })
  const report = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (text) => text.startsWith('{"requests"') && resolve(JSON.parse(text)))
    child.once('exit', (code) => reject(new Error(`the load generator exited (${code}) before reporting`)))
  })
  await once(child, 'exit').catch(() => undefined)
  if (report.non2xx || report.errors || report.timeouts) progress(`  ${options.method} ${options.url}: ${report.non2xx} non-2xx, ${report.errors} errors, ${report.timeouts} timeouts`)
  return report
}

const scratch = await mkdtemp(join(tmpdir(), 'pb-bench-studio-'))
let dirs = 0
const newDataDir = () => join(scratch, `data-${dirs++}`)
const results = {}

try {
  // ---- 1. cold start of plugboard up to ready, no plugins
  progress('cold start: plugboard up --no-seed until /ready answers 200')
  const fresh = []
  const reopen = []
  for (let i = 0; i < PLAN.coldStarts; i++) {
    const dataDir = newDataDir()
    const first = await startUp({ dataDir })
    fresh.push(first.readyMs)
    await first.stop()
    const again = await startUp({ dataDir })
    reopen.push(again.readyMs)
    await again.stop()
  }
  results.coldStart = { freshMs: fresh, reopenMs: reopen }

  // ---- 2. admin CRUD on LLMs, PGlite and PostgreSQL
  const crud = {}
  for (const kind of ['pglite', 'postgres']) {
    progress(`admin CRUD on ${kind}`)
    const database = kind === 'postgres' ? await scratchPostgres('pb_bench') : undefined
    const up = await startUp({ dataDir: newDataDir(), databaseUrl: database?.url })
    try {
      const one = await api(up.url, 'POST', '/api/v1/llms', { slug: 'target', vendor: 'mock', models: ['m'] })
      const base = { connections: PLAN.crudConnections, durationSec: PLAN.crudSec, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }
      crud[kind] = {
        create: await load({ ...base, url: `${up.url}/api/v1/llms`, method: 'POST', body: `{"slug":"llm-{n}","vendor":"mock","models":["model-{n}"]}` }),
        get: await load({ ...base, url: `${up.url}/api/v1/llms/${one.id}`, method: 'GET' }),
        list: await load({ ...base, url: `${up.url}/api/v1/llms?limit=50`, method: 'GET' }),
        update: await load({ ...base, url: `${up.url}/api/v1/llms/${one.id}`, method: 'PATCH', body: '{"name":"renamed {n}"}' }),
      }
      // Every write is answered once the gateway serves it, so a write's time includes rebuilding the config of this many LLMs.
      crud[kind].llms = 1 + crud[kind].create.requests + crud[kind].create.warmupRequests
    } finally {
      await up.stop()
      await database?.drop()
    }
  }
  results.crud = crud

  // ---- 3. API change to gateway serving it; 4. the gateway inside up against the standalone YAML gateway
  progress(`change to serve: ${PLAN.changes} key issues, each followed at once by a request with the new key`)
  const up = await startUp({ dataDir: newDataDir() })
  let standalone
  let quiet
  const benchConfig = {
    llms: [{ slug: 'mock', vendor: 'mock', models: ['bench-model'], mock: { latencyMs: 0, chunkDelayMs: 0, completionTokens: 16, chunks: 4 } }],
    apps: [{ id: 'bench', keys: [{ value: APP_KEY }], allowedLlms: ['mock'] }],
    pricing: { 'bench-model': { input: 0.5, output: 1.5 } },
  }
  try {
    await api(up.url, 'POST', '/api/v1/config/apply', benchConfig)
    const app = (await api(up.url, 'GET', '/api/v1/apps/bench')).id
    const body = '{"model":"bench-model","messages":[{"role":"user","content":"hello"}]}'
    const latencies = []
    let nextRequest = 0
    for (let i = 0; i < PLAN.changes; i++) {
      const started = performance.now()
      const { key } = await api(up.url, 'POST', `/api/v1/apps/${app}/keys`, {})
      let status = 0
      for (let attempt = 0; status !== 200; attempt++) {
        status = (await fetch(`${up.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body })).status
        if (status === 200 && attempt === 0) nextRequest++
        if (attempt > 1000) throw new Error('a new key was never served')
      }
      latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    results.changeToServe = { changes: PLAN.changes, servedOnNextRequest: nextRequest, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) }

    progress('gateway inside plugboard up vs the standalone gateway on its export')
    const yaml = await api(up.url, 'GET', '/api/v1/config/export?withSecrets=true')
    const file = join(scratch, 'exported.yaml')
    await writeFile(file, yaml)
    const port = await freePort()
    standalone = await startCli(['gateway', '--config', file, '--port', String(port)], {}, `http://127.0.0.1:${port}/ready`)
    standalone.url = `http://127.0.0.1:${port}`
    quiet = await startUp({ dataDir: newDataDir(), args: ['--no-analytics'] })
    await api(quiet.url, 'POST', '/api/v1/config/apply', benchConfig)
    const gatewayLoad = (url) => load({ url: `${url}/v1/chat/completions`, connections: PLAN.gatewayConnections, durationSec: PLAN.gatewaySec, method: 'POST', headers: { authorization: `Bearer ${APP_KEY}`, 'content-type': 'application/json' }, body })
    const rounds = { up: [], standalone: [], quiet: [] }
    const recorded = async () => (await api(up.url, 'GET', '/api/v1/analytics/usage?groupBy=app&app=bench')).items?.[0]?.requests ?? 0
    const before = await recorded()
    for (let round = 0; round < PLAN.gatewayRounds; round++) {
      rounds.up.push(await gatewayLoad(up.url))
      rounds.standalone.push(await gatewayLoad(standalone.url))
      rounds.quiet.push(await gatewayLoad(quiet.url))
    }
    const best = (list) => Math.max(...list.map((r) => r.rps))
    results.gateway = {
      upRps: best(rounds.up),
      standaloneRps: best(rounds.standalone),
      noAnalyticsRps: best(rounds.quiet),
      upP50Ms: rounds.up.at(-1).p50Ms,
      standaloneP50Ms: rounds.standalone.at(-1).p50Ms,
      noAnalyticsP50Ms: rounds.quiet.at(-1).p50Ms,
    }

    // Every request the gateway in up served under that load reached the analytics table: how many, and how soon after.
    const sent = rounds.up.reduce((sum, r) => sum + r.requests + r.warmupRequests, 0)
    const drainStarted = performance.now()
    let stored = (await recorded()) - before
    while (stored < sent && performance.now() - drainStarted < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      stored = (await recorded()) - before
    }
    results.analyticsUnderLoad = { sent, stored, drainedMsAfterLoad: Math.round(performance.now() - drainStarted) }
  } finally {
    await standalone?.stop()
    await quiet?.stop()
    await up.stop()
  }
  // ---- 6. the plugin platform: a reload under load, and what an object hook adds to a write
  progress(`plugin reload under ${PLAN.gatewayConnections}-connection load, and object-hook cost on LLM creates`)
  const platform = await startUp({ dataDir: newDataDir(), args: ['--no-analytics'] })
  try {
    await api(platform.url, 'POST', '/api/v1/config/apply', benchConfig)
    const enricher = await api(platform.url, 'POST', '/api/v1/plugins', { source: pathToFileURL(here('../examples/plugins/request-enricher')).href, name: 'enricher' })
    await api(platform.url, 'POST', `/api/v1/plugins/${enricher.id}/enable`)
    const loading = load({ url: `${platform.url}/v1/chat/completions`, connections: PLAN.gatewayConnections, durationSec: PLAN.reloadSec, method: 'POST', headers: { authorization: `Bearer ${APP_KEY}`, 'content-type': 'application/json' }, body: '{"model":"bench-model","messages":[{"role":"user","content":"hello"}]}' })
    // Past the load generator's 1 s warm-up, into its timed run.
    await new Promise((resolve) => setTimeout(resolve, 1000 + (PLAN.reloadSec * 1000) / 3))
    const reloadStarted = performance.now()
    await api(platform.url, 'POST', `/api/v1/plugins/${enricher.id}/reload`)
    const switchMs = performance.now() - reloadStarted
    const underLoad = await loading
    results.reload = { switchMs, requests: underLoad.requests, failed: underLoad.non2xx + underLoad.errors + underLoad.timeouts, rps: underLoad.rps }

    // Each LLM is deleted again (untimed): a write's time includes the gateway applying the config, which grows with the LLMs in it.
    const creates = async (prefix) => {
      const times = []
      for (let i = 0; i < PLAN.hookedWrites; i++) {
        const started = performance.now()
        const created = await api(platform.url, 'POST', '/api/v1/llms', { slug: `${prefix}-${i}`, vendor: 'mock', models: ['m'], baseUrl: 'https://llm.example.com/v1' })
        times.push(performance.now() - started)
        await api(platform.url, 'DELETE', `/api/v1/llms/${created.id}`)
      }
      return percentile(times.sort((a, b) => a - b), 50)
    }
    const bare = await creates('bare')
    const validator = await api(platform.url, 'POST', '/api/v1/plugins', { source: pathToFileURL(here('../examples/plugins/llm-validator')).href, name: 'validator' })
    await api(platform.url, 'PATCH', `/api/v1/plugins/${validator.id}`, { objectHooks: ['llm'], enabled: true })
    const hooked = await creates('hooked')
    results.objectHook = { bareP50Ms: bare, hookedP50Ms: hooked }
  } finally {
    await platform.stop()
  }

  // ---- 5. analytics ingest and the request log at a million rows (packages/studio/bench/analytics.mjs, per database)
  results.analytics = {}
  for (const db of ['pglite', 'postgres']) {
    progress(`analytics on ${db}: ingest, then the request log at ${PLAN.analyticsRows.toLocaleString()} rows (seeding takes a while)`)
    const child = spawn(process.execPath, [here('../packages/studio/bench/analytics.mjs'), '--db', db, '--rows', String(PLAN.analyticsRows)], { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.add(async () => child.kill('SIGKILL'))
    let last = ''
    createInterface({ input: child.stdout }).on('line', (text) => (last = text))
    const [code] = await once(child, 'exit')
    if (code !== 0) throw new Error(`analytics bench on ${db} exited with ${code}`)
    results.analytics[db] = JSON.parse(last)
  }
  // ---- 7. Service API KV get/set calls/s from one plugin on the warm embedded database (packages/studio/bench/service-kv.mjs)
  progress('Service API KV: a real plugin process doing concurrent kv.set, then kv.get, on the warm embedded database')
  {
    const child = spawn(process.execPath, [here('../packages/studio/bench/service-kv.mjs'), '--seconds', QUICK ? '2' : '5'], { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.add(async () => child.kill('SIGKILL'))
    let last = ''
    createInterface({ input: child.stdout }).on('line', (text) => (last = text))
    const [code] = await once(child, 'exit')
    if (code !== 0) throw new Error(`Service API KV bench exited with ${code}`)
    results.serviceKv = JSON.parse(last)
  }
} finally {
  await Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
  await rm(scratch, { recursive: true, force: true })
}

// ---- report
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const f = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : String(n))
const rows = [
  ['cold start to ready, new data dir (median of runs)', `${f(median(results.coldStart.freshMs))} ms`, `< ${TARGETS.coldStartMs} ms`, `runs: ${results.coldStart.freshMs.map((ms) => f(ms)).join(', ')}`],
  ['cold start to ready, existing data dir', `${f(median(results.coldStart.reopenMs))} ms`, `< ${TARGETS.coldStartMs} ms`, `runs: ${results.coldStart.reopenMs.map((ms) => f(ms)).join(', ')}`],
  ...['pglite', 'postgres'].flatMap((kind) =>
    ['create', 'get', 'list', 'update'].map((op) => [
      `admin API ${op} LLM, ${kind} (${PLAN.crudConnections} conns)`,
      `${f(results.crud[kind][op].rps)} req/s`,
      '',
      `p50 ${f(results.crud[kind][op].p50Ms, 1)} ms, p99 ${f(results.crud[kind][op].p99Ms, 1)} ms${op === 'update' ? `, with ${results.crud[kind].llms} LLMs in the live config` : ''}`,
    ]),
  ),
  ['API change → gateway serves it, p50', `${f(results.changeToServe.p50Ms, 1)} ms`, '', `${results.changeToServe.servedOnNextRequest}/${results.changeToServe.changes} served on the very next request`],
  ['API change → gateway serves it, p99', `${f(results.changeToServe.p99Ms, 1)} ms`, `< ${TARGETS.changeP99Ms} ms`, `max ${f(results.changeToServe.maxMs, 1)} ms`],
  ['gateway in plugboard up, req/s @16', `${f(results.gateway.upRps)}`, '', `p50 ${f(results.gateway.upP50Ms, 2)} ms`],
  ['standalone gateway on the export, req/s @16', `${f(results.gateway.standaloneRps)}`, '', `p50 ${f(results.gateway.standaloneP50Ms, 2)} ms`],
  ['ratio up / standalone', `${f(results.gateway.upRps / results.gateway.standaloneRps, 2)}x`, `≥ ${TARGETS.gatewayShare}x`, 'up writes every request to the analytics; the standalone gateway does not'],
  ['gateway in plugboard up --no-analytics, req/s @16', `${f(results.gateway.noAnalyticsRps)}`, '', `p50 ${f(results.gateway.noAnalyticsP50Ms, 2)} ms`],
  ['ratio up --no-analytics / standalone (live state alone)', `${f(results.gateway.noAnalyticsRps / results.gateway.standaloneRps, 2)}x`, `≥ ${TARGETS.gatewayShare}x`, ''],
  ['plugin reload under load: failed requests', `${results.reload.failed} of ${results.reload.requests}`, '0', `${PLAN.gatewayConnections} connections, ${f(results.reload.rps)} req/s through a post-auth plugin`],
  ['plugin reload: time to switch (API call to the new process serving)', `${f(results.reload.switchMs)} ms`, '', 'both runtimes, old process drained'],
  ['LLM create p50: no object hook / one (llm-validator)', `${f(results.objectHook.bareP50Ms, 2)} / ${f(results.objectHook.hookedP50Ms, 2)} ms`, '', `adds ${f(results.objectHook.hookedP50Ms - results.objectHook.bareP50Ms, 2)} ms (before-hook on the request path; after-hooks beside it)`],
  ['analytics rows stored / requests served under that load', `${results.analyticsUnderLoad.stored} / ${results.analyticsUnderLoad.sent}`, 'all', `all stored ${results.analyticsUnderLoad.drainedMsAfterLoad} ms after the load ended`],
  ...['pglite', 'postgres'].flatMap((db) => {
    const a = results.analytics[db]
    return [
      [`analytics ingest ceiling, ${db}`, `${f(a.burst.perSecond)} records/s`, `≥ gateway req/s (${f(results.gateway.upRps)})`, `50,000 at once, ${a.burst.dropped} dropped`],
      [`analytics at 5,000 records/s for 3 s, ${db}`, `backlog ≤ ${a.paced.maxBacklog}`, 'no growing backlog', `drained ${a.paced.drainedMsAfter} ms after, ${a.paced.dropped} dropped`],
      [`request log at ${PLAN.analyticsRows.toLocaleString()} rows, ${db}: first / 1,000 pages deep / app=`, `${a.firstPageMs} / ${a.deepPageMs} / ${a.appPageMs} ms`, '< 200 ms', `usage by day ${a.usageByDayMs} ms, latency percentiles ${a.latencyMs} ms`],
    ]
  }),
  [
    `Service API KV get / set calls/s from one plugin (${results.serviceKv.workers} concurrent), embedded DB`,
    `${f(results.serviceKv.getPerSecond)} / ${f(results.serviceKv.setPerSecond)}`,
    `≥ ${TARGETS.kvGetsPerSecond} gets/s`,
    `gets without the read cache ${f(results.serviceKv.getPerSecondUncached)}/s; against the in-memory store (transport alone) ${f(results.serviceKv.getPerSecondMemoryStore)}/s`,
  ],
]
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), 6))
process.stdout.write(`\nStudio benchmark${QUICK ? ' (--quick)' : ''}\n\n`)
for (const row of [['figure', 'measured', 'target', 'detail'], ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ')}\n`)
process.stdout.write(`\n${JSON.stringify(results)}\n`)
