// Soak: the demo gateway under steady load while its plugins are killed, one at random every
// few seconds. `npm run soak -- --minutes N [--connections 16] [--kill-every 10] [--json]`.
//
// The gateway runs as the CLI runs it (`plugboard gateway --config examples/gateway.yaml`), in a
// process of its own so that a kill can never take the load generator down; its plugins are its
// child processes, found in /proc. Each request carries its own x-request-id, so the analytics
// records file-analytics wrote can be matched to the requests that succeeded. Stops by itself
// after N minutes and leaves no process or file behind. See bench/README.md.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { freePort } from './free-port.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    connections: { type: 'string', default: '16' },
    'kill-every': { type: 'string', default: '10' },
    config: { type: 'string', default: 'examples/gateway.yaml' },
    json: { type: 'boolean', default: false },
  },
})
const minutes = Number(values.minutes)
const connections = Number(values.connections)
const killEveryMs = Number(values['kill-every']) * 1000
if (!(minutes > 0) || !(connections > 0) || !(killEveryMs > 0)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--connections 16] [--kill-every SECONDS] [--config FILE] [--json]\n')
  process.exit(2)
}
const DEMO_KEY = 'pb-soak-key-0123456789'
const progress = (message) => process.stderr.write(`soak: ${message}\n`)


// ------------------------------------------------------------------ gateway
/**
 * The demo config with the limits that would turn a soak into a stream of 429s raised (120
 * requests a minute, a $5 budget), and plugin paths made absolute for its new directory.
 * Written beside the analytics file; fails when the demo config no longer reads as expected.
 */
function soakConfig(from, to) {
  let text = readFileSync(from, 'utf8')
  const rewrite = (pattern, replacement) => {
    if (!pattern.test(text)) throw new Error(`${from} has no ${pattern}: update soakConfig in bench/soak.mjs`)
    text = text.replace(pattern, replacement)
  }
  rewrite(/requestsPerMinute: \d+, tokensPerMinute: \d+/, 'requestsPerMinute: 100000000, tokensPerMinute: 100000000000')
  rewrite(/monthlyBudget: \d+/, 'monthlyBudget: 1000000')
  rewrite(/file:\/\/\.\//g, `file://${dirname(from)}/`)
  writeFileSync(to, text)
  return to
}

const dir = mkdtempSync(join(tmpdir(), 'plugboard-soak-'))
// file-analytics runs under its own uid when the gateway runs as root: its directory must be writable by it.
const analyticsDir = mkdtempSync(join(tmpdir(), 'plugboard-soak-analytics-'))
chmodSync(analyticsDir, 0o777)
const analyticsFile = join(analyticsDir, 'analytics.jsonl')
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const config = soakConfig(join(root, values.config), join(dir, 'gateway.yaml'))
const gateway = spawn(process.execPath, [join(root, 'packages/cli/bin/plugboard.js'), 'gateway', '--config', config], {
  cwd: root,
  env: {
    ...process.env,
    PLUGBOARD_PORT: String(port),
    PLUGBOARD_DEMO_KEY: DEMO_KEY,
    PLUGBOARD_ANALYTICS_DIR: analyticsDir,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
})
/** Warnings and errors the gateway logged, by level and message. */
const logged = new Map()
let stdoutRest = ''
gateway.stdout.on('data', (data) => {
  const lines = (stdoutRest + data.toString()).split('\n')
  stdoutRest = lines.pop()
  for (const line of lines) {
    let entry
    try {
      entry = JSON.parse(line)
    } catch {
      continue
    }
    const key = `${entry.level >= 50 ? 'error' : 'warn'} ${entry.msg}${entry.plugin ? ` (${entry.plugin})` : ''}`
    logged.set(key, (logged.get(key) ?? 0) + 1)
  }
})
let stderr = ''
gateway.stderr.on('data', (data) => (stderr = (stderr + data.toString()).slice(-4000)))
const gatewayExit = once(gateway, 'exit')

/** The gateway's child processes, with the plugin name the host gave each (PLUGBOARD_PLUGIN_NAME). */
function pluginProcesses() {
  const found = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== gateway.pid) continue
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0')
      const plugin = env.find((entry) => entry.startsWith('PLUGBOARD_PLUGIN_NAME='))?.slice('PLUGBOARD_PLUGIN_NAME='.length)
      if (plugin) found.push({ pid: Number(name), plugin })
    } catch {
      // The process ended while being read.
    }
  }
  return found
}

async function stopGateway() {
  if (gateway.exitCode !== null || gateway.signalCode !== null) return
  const plugins = pluginProcesses()
  gateway.kill('SIGTERM')
  const timer = setTimeout(() => gateway.kill('SIGKILL'), 20_000)
  await gatewayExit
  clearTimeout(timer)
  // A gateway that had to be killed could not stop its plugins: stop them here.
  for (const { pid } of plugins) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone, as it should be.
    }
  }
}

let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true
    progress(`${signal}: stopping`)
  })
}

try {
  progress(`starting the gateway from ${values.config} (limits raised) on ${url}`)
  const startDeadline = Date.now() + 60_000
  for (;;) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited with ${gateway.exitCode} before listening:\n${stderr}`)
    if (Date.now() > startDeadline) throw new Error('the gateway did not listen within 60 s')
    const ready = await fetch(`${url}/ready`).then((response) => response.ok, () => false)
    if (ready) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }

  // ---------------------------------------------------------------- load
  const headers = { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' }
  const message = [{ role: 'user', content: 'Hello from the soak, I am ada@example.com' }]
  const KINDS = [
    { kind: 'chat', path: '/v1/chat/completions', body: { model: 'mock-gpt', messages: message } },
    { kind: 'chat-stream', path: '/v1/chat/completions', body: { model: 'mock-gpt', messages: message, stream: true } },
    { kind: 'embeddings', path: '/v1/embeddings', body: { model: 'mock-gpt', input: 'soak' } },
  ]
  const stats = { requests: 0, ok: 0, byKind: {}, failures: new Map(), failuresBeforeAnyKill: 0 }
  const succeeded = new Set()
  const fail = (kind, code, plugin) => {
    const key = `${code}${plugin ? ` (plugin ${plugin})` : ''}`
    stats.failures.set(key, (stats.failures.get(key) ?? 0) + 1)
    stats.byKind[kind].failed++
    // Charged to the last kill: how long after it requests still failed is the outage it caused.
    const kill = kills.at(-1)
    if (kill) {
      kill.failures++
      kill.lastFailureMs = Date.now() - kill.atMs
    } else stats.failuresBeforeAnyKill++
  }
  /** The plugin an error names: a block's x-plugboard-blocked-by, or `plugin "x"` in the message. */
  const pluginOf = (response, text) => response?.headers.get('x-plugboard-blocked-by') ?? /plugin "([^"]+)"/.exec(text ?? '')?.[1]

  let sequence = 0
  const endAt = Date.now() + minutes * 60_000
  const running = () => Date.now() < endAt && !interrupted && gateway.exitCode === null
  async function worker(id) {
    for (let n = id; running(); n += connections) {
      const { kind, path, body } = KINDS[n % KINDS.length]
      const requestId = `soak-${++sequence}`
      stats.requests++
      stats.byKind[kind] ??= { requests: 0, failed: 0 }
      stats.byKind[kind].requests++
      let response
      let text
      try {
        response = await fetch(`${url}${path}`, { method: 'POST', headers: { ...headers, 'x-request-id': requestId }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) })
        text = await response.text()
      } catch (error) {
        fail(kind, `client: ${error.cause?.code ?? error.name}`)
        continue
      }
      if (!response.ok) {
        let error = {}
        try {
          error = JSON.parse(text).error ?? {}
        } catch {
          // Not the JSON error shape: the status says it.
        }
        fail(kind, error.code ?? `HTTP ${response.status}`, pluginOf(response, error.message))
        continue
      }
      // A stream that started can still fail: an error event, or no [DONE].
      if (kind === 'chat-stream') {
        const error = /^data: (\{"error".*)$/m.exec(text)
        if (error) {
          const parsed = JSON.parse(error[1]).error
          fail(kind, `stream: ${parsed.code}`, pluginOf(undefined, parsed.message))
          continue
        }
        if (!text.includes('data: [DONE]')) {
          fail(kind, 'stream: no [DONE]')
          continue
        }
      }
      stats.ok++
      succeeded.add(requestId)
    }
  }

  // ---------------------------------------------------------------- kills
  const kills = []
  const startedAt = Date.now()
  const killer = setInterval(() => {
    const candidates = pluginProcesses()
    if (candidates.length === 0) return
    const victim = candidates[Math.floor(Math.random() * candidates.length)]
    try {
      process.kill(victim.pid, 'SIGKILL')
      kills.push({ atMs: Date.now(), atSec: Math.round((Date.now() - startedAt) / 1000), ...victim, failures: 0, lastFailureMs: 0 })
      progress(`killed plugin ${victim.plugin} (pid ${victim.pid})`)
    } catch {
      // It ended on its own in between.
    }
  }, killEveryMs)

  progress(`load: ${connections} connections for ${minutes} min, a plugin killed every ${killEveryMs / 1000} s`)
  await Promise.all(Array.from({ length: connections }, (_, id) => worker(id)))
  clearInterval(killer)

  // -------------------------------------------------- data collection
  // Let the collector send its last batches, and a killed collector come back for them.
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const metrics = await fetch(`${url}/metrics`).then((response) => response.text(), () => '')
  // A counter with no samples yet (nothing dropped) still has its TYPE line.
  const dropCounted = metrics.includes('# TYPE plugboard_collector_dropped_total counter')
  const dropped = metrics
    .split('\n')
    .filter((line) => line.startsWith('plugboard_collector_dropped_total'))
    .map((line) => ({ series: line.slice(0, line.lastIndexOf(' ')), count: Number(line.slice(line.lastIndexOf(' ') + 1)) }))
  await stopGateway()

  const analytics = new Map()
  let records = 0
  try {
    for (const line of readFileSync(analyticsFile, 'utf8').split('\n')) {
      if (!line) continue
      const record = JSON.parse(line)
      if (record.type !== 'analytics') continue
      records++
      analytics.set(record.requestId, (analytics.get(record.requestId) ?? 0) + 1)
    }
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
  }
  const delivered = [...succeeded].filter((id) => analytics.has(id)).length
  const redelivered = [...analytics.values()].reduce((sum, count) => sum + count - 1, 0)
  const droppedTotal = dropped.reduce((sum, { count }) => sum + count, 0)

  const report = {
    minutes,
    connections,
    requests: stats.requests,
    succeeded: stats.ok,
    failed: stats.requests - stats.ok,
    byKind: stats.byKind,
    failures: Object.fromEntries([...stats.failures].sort((a, b) => b[1] - a[1])),
    kills: kills.length,
    failuresBeforeAnyKill: stats.failuresBeforeAnyKill,
    outages: kills.map(({ atSec, plugin, failures, lastFailureMs }) => ({ atSec, plugin, failures, lastFailureMs })),
    killed: kills.reduce((by, { plugin }) => ({ ...by, [plugin]: (by[plugin] ?? 0) + 1 }), {}),
    dataCollection: {
      analyticsRecords: records,
      deliveredForSucceeded: delivered,
      missingForSucceeded: stats.ok - delivered,
      redelivered,
      droppedCounted: dropCounted ? droppedTotal : null,
      droppedSeries: dropCounted ? Object.fromEntries(dropped.map(({ series, count }) => [series, count])) : 'plugboard_collector_dropped_total is not exported by this gateway',
    },
    gatewayLogs: Object.fromEntries(logged),
  }

  const lines = [
    `requests ${report.requests}: ${report.succeeded} succeeded, ${report.failed} failed (${minutes} min, ${connections} connections)`,
    ...Object.entries(report.byKind).map(([kind, { requests, failed }]) => `  ${kind.padEnd(12)} ${requests} requests, ${failed} failed`),
    `failures by code and plugin:${report.failed ? '' : ' none'}`,
    ...Object.entries(report.failures).map(([key, count]) => `  ${String(count).padStart(7)}  ${key}`),
    `plugins killed: ${report.kills} (${Object.entries(report.killed).map(([plugin, count]) => `${plugin} ×${count}`).join(', ') || 'none'})`,
    `failures before the first kill: ${report.failuresBeforeAnyKill}`,
    'after each kill (failures until the next kill, and the last of them ms after the kill):',
    ...report.outages.map(({ atSec, plugin, failures, lastFailureMs }) => `  ${String(atSec).padStart(5)} s  ${plugin.padEnd(18)} ${String(failures).padStart(6)} failed${failures ? `, the last ${lastFailureMs} ms after the kill` : ''}`),
    'data collection (analytics records, matched to the requests by request id):',
    `  delivered for succeeded requests  ${delivered} of ${stats.ok} (missing ${stats.ok - delivered})`,
    `  redelivered (duplicates)          ${redelivered}`,
    `  dropped, counted by the gateway   ${report.dataCollection.droppedCounted ?? 'n/a (no plugboard_collector_dropped_total)'}`,
    `  records in the file               ${records}`,
    `gateway warnings and errors:${logged.size ? '' : ' none'}`,
    ...[...logged].map(([key, count]) => `  ${String(count).padStart(7)}  ${key}`),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`)
} finally {
  await stopGateway()
  rmSync(dir, { recursive: true, force: true })
  rmSync(analyticsDir, { recursive: true, force: true })
}
