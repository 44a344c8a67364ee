// Gateway benchmark: `npm run bench:gateway` (add `-- --json` for a JSON last line on stdout,
// `-- --profile` to also write V8 CPU profiles of the gateway and plugin processes).
// See bench/README.md ("Gateway benchmark") for what each figure means and the targets.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Client, request as httpRequest } from 'undici'
import { Sequential, percentile } from './sequential.mjs'

const JSON_OUTPUT = process.argv.includes('--json')
const PROFILE = process.argv.includes('--profile')
const here = (file) => fileURLToPath(new URL(file, import.meta.url))

/** How much each phase does; the whole run takes about 1.7 minutes on a quiet 2-core machine (up to ~2 on a busy one). */
const PLAN = {
  /** 1 connection: sequential requests from this process, timed in alternating rounds so a burst of load elsewhere hits every target alike. */
  rounds: 5,
  warmup: { json: 300, stream: 60 },
  roundWarmup: { json: 30, stream: 10 },
  perRound: { json: 400, stream: 150 },
  /** 16 connections: autocannon in a child process, a warm-up run then a timed run per target. */
  connections: 16,
  loadWarmupSec: 1,
  loadSec: 5,
}
const STREAM_CHUNKS = 50
const TARGETS = { overheadNoPluginsMs: 0.25, overheadThreeHooksMs: 0.6, rps16NoPlugins: 8000, rps16ThreeHooks: 4000, streamHooksExtraMs: 3, translationUs: 50 }
/**
 * Issue 8: req/s at 16 connections as a share of the bare Node proxy's, measured side by side.
 * `keep` is what the gateway measured on 2026-12-01 (must not regress), `aim` what we aim for.
 */
const BARE_SHARE = { noPlugins: { keep: 0.5, aim: 0.6 }, threeHooks: { keep: 0.22, aim: 0.3 } }

const API_KEY = 'pb-bench-key-0123456789'
const HEADERS = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
const JSON_BODY = '{"model":"bench-model","messages":[{"role":"user","content":"hello"}]}'
const STREAM_BODY = '{"model":"bench-model","messages":[{"role":"user","content":"hello"}],"stream":true}'
/**
 * The routes that translate at the edges (to chat completions and back). Their answers are not
 * the upstream's bytes, so each is checked against its own first answer and, when streamed,
 * against the event its dialect ends a stream with.
 */
const DIALECTS = {
  messages: {
    path: '/v1/messages',
    json: '{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}',
    stream: '{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"hello"}],"stream":true}',
    finalEvent: Buffer.from('event: message_stop\n'),
  },
  responses: {
    path: '/v1/responses',
    json: '{"model":"bench-model","input":"hello"}',
    stream: '{"model":"bench-model","input":"hello","stream":true}',
    finalEvent: Buffer.from('event: response.completed\n'),
  },
}

const progress = (message) => process.stderr.write(`[bench] ${message}\n`)

/** What to stop if the bench is interrupted or fails, so no upstream, gateway, plugin or load generator outlives it. */
const cleanups = new Set()
const cleanUp = () => Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    interrupted = true
    progress(`${signal}: stopping child processes`)
    await cleanUp()
    process.exit(130)
  })
}

// ---------------------------------------------------------------- processes

/** Runs a Node script as a child; `line` resolves with the first stdout line matching `accept`. */
function spawnNode(args, accept, env = process.env) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env })
  const line = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (text) => {
      if (accept(text)) resolve(text)
    })
    child.once('exit', (code, signal) => reject(new Error(`${args.find((a) => a.endsWith('.mjs'))} exited (code ${code}, signal ${signal}) before reporting`)))
    child.once('error', reject)
  })
  return { child, line }
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit').catch(() => undefined)
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** Starts a server script that prints `{"url","pid"}` when ready; registered for cleanup. */
async function startServer(name, args, env) {
  const { child, line } = spawnNode(args, (text) => text.startsWith('{'), env)
  const stop = async () => {
    cleanups.delete(stop)
    await stopChild(child)
  }
  cleanups.add(stop)
  const { url } = JSON.parse(await line)
  return { name, url, pid: child.pid, child, stop }
}

/** Pids of the processes whose parent is `pid` (the gateway's plugin processes). */
function childPids(pid) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry))
    } catch {
      // gone in the meantime
    }
  }
  return found
}

// ---------------------------------------------------------------- CPU accounting

/** Clock ticks per second in /proc/PID/stat and /proc/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100

/** utime+stime, stime alone, and cutime+cstime (reaped children) of one process, in clock ticks; 0 once it is gone. */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [utime, stime, cutime, cstime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number)
    return { own: utime + stime, sys: stime, reaped: cutime + cstime }
  } catch {
    return { own: 0, sys: 0, reaped: 0 }
  }
}

/**
 * Time on CPU of all of a process's threads, in ns, from /proc/PID/task/TID/schedstat: exact,
 * where utime/stime are sampled at each clock tick and are skewed for processes that run in
 * short bursts between idle periods (as every process here does at 1 connection).
 */
function processNs(pid) {
  let ns = 0
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return ns
}

function machineTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal }
}

/** CPU counters of named groups of processes (`{ name: [pid, …] }`), for `cpuBetween`. */
function cpuSnapshot(groups) {
  const snapshot = { at: performance.now(), machine: machineTicks(), selfNs: processNs(process.pid), ns: {}, ticks: {}, sysTicks: {} }
  for (const [name, pids] of Object.entries(groups)) {
    snapshot.ns[name] = 0
    snapshot.ticks[name] = 0
    snapshot.sysTicks[name] = 0
    for (const pid of pids) {
      const ticks = processTicks(pid)
      snapshot.ns[name] += processNs(pid)
      snapshot.ticks[name] += ticks.own
      snapshot.sysTicks[name] += ticks.sys
    }
  }
  return snapshot
}

/**
 * CPU each group used between two snapshots: seconds, % of one core, and the share of it spent
 * in the kernel; plus the share of the whole machine that processes outside this bench (and the
 * hypervisor, as steal) took.
 */
function cpuBetween(before, after) {
  const elapsedSec = (after.at - before.at) / 1000
  const machineSec = (after.machine.total - before.machine.total) / USER_HZ || 1e-9
  const sec = {}
  const pct = {}
  const sysShare = {}
  for (const name of Object.keys(after.ns)) {
    sec[name] = (after.ns[name] - (before.ns[name] ?? 0)) / 1e9
    pct[name] = (100 * sec[name]) / elapsedSec
    const ticks = after.ticks[name] - (before.ticks[name] ?? 0)
    sysShare[name] = ticks > 0 ? (after.sysTicks[name] - (before.sysTicks[name] ?? 0)) / ticks : 0
  }
  const oursSec = (after.selfNs - before.selfNs) / 1e9 + Object.values(sec).reduce((a, b) => a + b, 0)
  const busySec = (after.machine.busy - before.machine.busy) / USER_HZ
  return {
    sec,
    pct,
    sysShare,
    otherPct: (100 * Math.max(0, busySec - oursSec)) / machineSec,
    stealPct: (100 * (after.machine.steal - before.machine.steal)) / USER_HZ / machineSec,
  }
}

// ---------------------------------------------------------------- measuring


/** Whether an SSE body's last event starts with `eventLine`; reads only the tail, so checking it on every request costs next to nothing. */
function endsWithEvent(bytes, eventLine) {
  const end = bytes.lastIndexOf('\n\n', bytes.length - 3)
  const start = end < 0 ? 0 : end + 2
  return bytes.subarray(start, start + eventLine.length).equals(eventLine)
}

/** One request over `client`; resolves once the whole body (all of a stream) is in. Checks status, size and a translated stream's last event. */
function requester(client, target) {
  const options = { path: target.path, method: 'POST', headers: HEADERS, body: target.body }
  const finalEvent = target.stream && target.dialect ? DIALECTS[target.dialect].finalEvent : undefined
  return async () => {
    const { statusCode, body } = await client.request(options)
    const bytes = Buffer.from(await body.arrayBuffer())
    if (statusCode !== 200 || (target.expectedBytes !== undefined && bytes.byteLength !== target.expectedBytes)) {
      throw new Error(`${target.key}: status ${statusCode}, ${bytes.byteLength} bytes (expected 200, ${target.expectedBytes} bytes): ${bytes.toString().slice(0, 300)}`)
    }
    if (finalEvent && !endsWithEvent(bytes, finalEvent)) throw new Error(`${target.key}: the stream does not end with ${finalEvent.toString().trim()}: …${bytes.toString().slice(-300)}`)
    return bytes
  }
}

/**
 * Runs the load-generator child (autocannon) against one target: resolves with its JSON report and
 * the CPU each process used during the timed run (not the warm-up), the load generator included.
 */
async function load(target, groups) {
  const options = {
    url: `${target.origin}${target.path}`,
    connections: PLAN.connections,
    warmupSec: PLAN.loadWarmupSec,
    durationSec: PLAN.loadSec,
    method: 'POST',
    headers: HEADERS,
    body: target.body,
  }
  const child = spawn(process.execPath, [here('./gateway-load.mjs'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = () => stopChild(child, 2000)
  cleanups.add(stop)
  try {
    let before
    const report = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (text) => {
        const all = () => ({ ...groups, load: [child.pid] })
        if (text === '{"phase":"timed"}') before = cpuSnapshot(all())
        else if (text.startsWith('{')) resolve({ ...JSON.parse(text), cpu: cpuBetween(before, cpuSnapshot(all())) })
      })
      child.once('exit', (code, signal) => reject(new Error(`the load generator exited (code ${code}, signal ${signal}) before reporting`)))
      child.once('error', reject)
    })
    if (report.non2xx || report.errors || report.timeouts) {
      throw new Error(`${target.key} at ${PLAN.connections} connections: ${report.non2xx} non-2xx, ${report.errors} errors, ${report.timeouts} timeouts`)
    }
    return report
  } finally {
    await stop()
    cleanups.delete(stop)
  }
}

// ---------------------------------------------------------------- setup

function gatewayYaml(upstreamUrl, plugin) {
  const lines = [
    'server: { host: 127.0.0.1, port: 0, maxBodyBytes: 1048576, upstreamTimeoutMs: 30000 }',
    'llms:',
    `  - { slug: up, vendor: openai, baseUrl: "${upstreamUrl}", apiKey: sk-bench, models: [bench-model] }`,
    'apps:',
    `  - { id: bench, name: Bench, keys: [{ value: ${API_KEY} }], allowedLlms: ['*'] }`,
  ]
  if (plugin) {
    lines.push('plugins:')
    const env = plugin.profileDir
      ? `, env: { NODE_OPTIONS: "--import=${new URL('./gateway-cpu-prof.mjs', import.meta.url).href}", PB_CPU_PROF_DIR: "${plugin.profileDir}" }`
      : ''
    lines.push(`  - { name: bench-hooks, source: "${new URL('./gateway-plugin.mjs', import.meta.url).href}", priority: 0, failurePolicy: fail-open${env} }`)
  }
  return `${lines.join('\n')}\n`
}

/** Hook calls the gateway's /metrics counted for the bench plugin, by hook, and its failed, skipped or short-circuited calls. */
async function hookCounts(gatewayUrl) {
  const { body } = await httpRequest(`${gatewayUrl}/metrics`)
  const text = await body.text()
  const calls = { preAuth: 0, postAuth: 0, responseHeaders: 0, responseBody: 0, responseChunk: 0 }
  for (const match of text.matchAll(/^plugboard_plugin_hook_duration_seconds_count\{plugin="bench-hooks",hook="(\w+)"\} (\d+)/gm)) calls[match[1]] = Number(match[2])
  let failures = 0
  for (const match of text.matchAll(/^plugboard_plugin_hook_failures_total\{[^}]*plugin="bench-hooks"[^}]*\} (\d+)/gm)) failures += Number(match[1])
  return { ...calls, failures }
}

// ---------------------------------------------------------------- the bench

/**
 * A translated route on `server` (`gateway` or `gatewayPlugins`), e.g. key `messagesStreamPlugins`.
 * Timed at 1 connection only: the 16-connection phase would lengthen the run by ~40 s for
 * figures the chat-completions rows already give.
 */
function dialectTarget(dialect, name, server, stream) {
  const plugins = server.name === 'gatewayPlugins'
  return {
    key: `${dialect}${stream ? 'Stream' : ''}${plugins ? 'Plugins' : ''}`,
    label: `gateway ${name}${stream ? ' SSE' : ''}, ${plugins ? 'hooks + every chunk' : 'no plugins'}`,
    server,
    path: DIALECTS[dialect].path,
    stream,
    body: stream ? DIALECTS[dialect].stream : DIALECTS[dialect].json,
    floor: stream ? 'directStream' : 'direct',
    dialect,
    oneConnectionOnly: true,
  }
}

/** Whether a target also runs in the 16-connection phase (so `sixteen[key]` exists). */
const loaded = (target) => !target.oneConnectionOnly

async function main() {
  const started = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'pb-gateway-bench-'))
  const removeDir = () => rm(dir, { recursive: true, force: true })
  cleanups.add(removeDir)
  let profileDir
  if (PROFILE) {
    profileDir = await mkdtemp(join(tmpdir(), 'pb-gateway-prof-'))
    for (const sub of ['gateway', 'gateway-plugins', 'plugin']) await mkdir(join(profileDir, sub))
  }
  const profileArgs = (sub) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, sub)}`] : [])

  progress('starting the mock upstream, two gateways (no plugins; the bench-hooks plugin) and the bare reference proxy')
  const upstream = await startServer('upstream', [here('./gateway-upstream.mjs')])
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml(upstream.url))
  await writeFile(
    join(dir, 'gateway-plugins.yaml'),
    gatewayYaml(upstream.url, { profileDir: PROFILE ? join(profileDir, 'plugin') : undefined }),
  )
  const env = { ...process.env, LOG_LEVEL: 'warn' }
  const [gateway, gatewayPlugins] = await Promise.all([
    startServer('gateway', [...profileArgs('gateway'), here('./gateway-server.mjs'), join(dir, 'gateway.yaml')], env),
    startServer('gatewayPlugins', [...profileArgs('gateway-plugins'), here('./gateway-server.mjs'), join(dir, 'gateway-plugins.yaml')], env),
  ])
  const bareProxy = await startServer('bareProxy', [here('./gateway-bare-proxy.mjs'), upstream.url])
  const pluginPids = childPids(gatewayPlugins.pid)
  if (pluginPids.length !== 1) throw new Error(`expected one plugin process under the plugin gateway, found ${pluginPids.length}`)

  const targets = [
    { key: 'direct', label: 'direct to mock upstream (floor)', server: upstream, path: '/chat/completions', stream: false, floor: 'direct' },
    { key: 'gateway', label: 'gateway, no plugins', server: gateway, path: '/v1/chat/completions', stream: false, floor: 'direct' },
    { key: 'gatewayPlugins', label: 'gateway, 3 hooks (pre/post-auth, body)', server: gatewayPlugins, path: '/v1/chat/completions', stream: false, floor: 'direct' },
    { key: 'bareProxy', label: '(ref) bare Node proxy', server: bareProxy, path: '/v1/chat/completions', stream: false, floor: 'direct' },
    { key: 'directStream', label: `direct ${STREAM_CHUNKS}-chunk SSE (floor)`, server: upstream, path: '/chat/completions', stream: true, floor: 'directStream' },
    { key: 'stream', label: `gateway SSE, no plugins`, server: gateway, path: '/v1/chat/completions', stream: true, floor: 'directStream' },
    { key: 'streamPlugins', label: `gateway SSE, hooks + every chunk`, server: gatewayPlugins, path: '/v1/chat/completions', stream: true, floor: 'directStream' },
    { key: 'bareProxyStream', label: '(ref) bare Node proxy SSE', server: bareProxy, path: '/v1/chat/completions', stream: true, floor: 'directStream' },
    dialectTarget('messages', 'Messages API', gateway, false),
    dialectTarget('messages', 'Messages API', gateway, true),
    dialectTarget('responses', 'Responses API', gateway, false),
    dialectTarget('responses', 'Responses API', gateway, true),
    dialectTarget('messages', 'Messages API', gatewayPlugins, true),
    dialectTarget('responses', 'Responses API', gatewayPlugins, true),
  ]
  for (const target of targets) {
    target.origin = target.server.url
    target.body ??= target.stream ? STREAM_BODY : JSON_BODY
  }

  const clients = targets.map((target) => new Client(target.origin, { pipelining: 1, keepAliveTimeout: 120_000 }))
  const closeClients = () => Promise.allSettled(clients.map((client) => client.close()))
  cleanups.add(closeClients)

  // Every target must answer what the upstream answers, byte for byte in size; the size is then checked on every request.
  progress('checking every target answers like the upstream')
  const directJson = await requester(clients[0], targets[0])()
  const directStream = await requester(clients[targets.findIndex((t) => t.key === 'directStream')], targets.find((t) => t.key === 'directStream'))()
  const events = directStream.toString().split('\n\n').filter(Boolean)
  if (events.length !== STREAM_CHUNKS + 1 || events.at(-1) !== 'data: [DONE]') throw new Error(`the upstream stream has ${events.length} events, expected ${STREAM_CHUNKS} + [DONE]`)
  for (const target of targets) if (!target.dialect) target.expectedBytes = target.stream ? directStream.length : directJson.length
  for (const [i, target] of targets.entries()) {
    const body = await requester(clients[i], target)()
    if (target.dialect) target.expectedBytes = body.length
    else if (!body.equals(target.stream ? directStream : directJson)) throw new Error(`${target.key} answered different bytes than the upstream`)
  }
  const hooksBefore = await hookCounts(gatewayPlugins.url)
  if (!hooksBefore.preAuth || !hooksBefore.postAuth || !hooksBefore.responseBody || hooksBefore.responseChunk < STREAM_CHUNKS) {
    throw new Error(`the plugin's hooks were not all called: ${JSON.stringify(hooksBefore)}`)
  }

  const groups = { gateway: [gateway.pid], gatewayPlugins: [gatewayPlugins.pid], plugin: pluginPids, bareProxy: [bareProxy.pid], upstream: [upstream.pid] }
  const noise = []

  // ---- 1 connection: sequential requests, alternating rounds
  progress(`1 connection: ${PLAN.rounds} alternating rounds of ${PLAN.perRound.json} JSON / ${PLAN.perRound.stream} streamed requests per target`)
  const sequential = targets.map((target, i) => new Sequential(requester(clients[i], target)))
  for (const [i, target] of targets.entries()) await sequential[i].warmUp(target.stream ? PLAN.warmup.stream : PLAN.warmup.json)
  /** CPU seconds each process spent while each target was being timed at 1 connection. */
  const cpuSec1 = targets.map(() => ({}))
  const phaseStart = cpuSnapshot(groups)
  for (let round = 0; round < PLAN.rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + round) % targets.length
      const kind = targets[i].stream ? 'stream' : 'json'
      await sequential[i].warmUp(PLAN.roundWarmup[kind])
      const before = cpuSnapshot(groups)
      await sequential[i].measure(PLAN.perRound[kind])
      const cpu = cpuBetween(before, cpuSnapshot(groups))
      for (const [name, sec] of Object.entries(cpu.sec)) cpuSec1[i][name] = (cpuSec1[i][name] ?? 0) + sec
    }
  }
  // Noise over the whole phase: single rounds are too short for /proc/stat's 10 ms ticks.
  noise.push(cpuBetween(phaseStart, cpuSnapshot(groups)))
  await closeClients()
  cleanups.delete(closeClients)
  const one = Object.fromEntries(
    targets.map((target, i) => {
      const { p50Ms, p99Ms, perSec, samples } = sequential[i].result()
      return [target.key, { p50Ms, p99Ms, rps: perSec, samples, cpuSec: cpuSec1[i] }]
    }),
  )

  // ---- 16 connections: autocannon in a child process
  const sixteen = {}
  for (const target of targets.filter(loaded)) {
    progress(`${PLAN.connections} connections: ${target.label} (${PLAN.loadWarmupSec} s warm-up, ${PLAN.loadSec} s timed)`)
    const report = await load(target, groups)
    noise.push(report.cpu)
    sixteen[target.key] = report
  }
  const hooksAfter = await hookCounts(gatewayPlugins.url)

  progress('stopping the gateways and the upstream')
  await Promise.all([gateway.stop(), gatewayPlugins.stop(), bareProxy.stop(), upstream.stop()])
  await removeDir()
  cleanups.delete(removeDir)
  return { started, targets, one, sixteen, noise, hooksBefore, hooksAfter, pluginPid: pluginPids[0], profileDir }
}

// ---------------------------------------------------------------- report

const r3 = (value) => Number(value.toFixed(3))
const fmtInt = (value) => Math.round(value).toLocaleString('en-US')
const fmtMs = (value) => `${value.toFixed(3)} ms`
const fmtX = (value) => `${value.toFixed(2)}x`

function table(rows) {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)))
  const line = (row) => row.map((cell, col) => (col === 0 ? String(cell).padEnd(widths[col]) : String(cell).padStart(widths[col]))).join('   ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.slice(1).map(line)].join('\n')
}

let measured
try {
  measured = await main()
} catch (error) {
  await cleanUp()
  if (interrupted) process.exit(130) // the measuring loop failed because its targets were being stopped
  throw error
}
const { started, targets, one, sixteen, noise, hooksBefore, hooksAfter, profileDir } = measured

const runs = Object.fromEntries(
  targets.map((target) => [
    target.key,
    {
      rps1: Math.round(one[target.key].rps),
      p50Ms1: r3(one[target.key].p50Ms),
      p99Ms1: r3(one[target.key].p99Ms),
      ...(loaded(target) && {
        rps16: Math.round(sixteen[target.key].rps),
        p50Ms16: r3(sixteen[target.key].p50Ms),
        p99Ms16: r3(sixteen[target.key].p99Ms),
      }),
    },
  ]),
)
/** CPU of each process during each timed 16-connection run: % of one core, and µs of CPU per request for the gateway and its plugin. */
const cpu16 = Object.fromEntries(
  targets.filter(loaded).map(({ key, server }) => {
    const { pct, sec, sysShare, otherPct } = sixteen[key].cpu
    const gw = server.name === 'upstream' ? undefined : server.name
    const usPerRequest = (name) => Math.round((sec[name] * 1e6) / sixteen[key].requests)
    return [
      key,
      {
        gatewayPct: gw ? Math.round(pct[gw]) : 0,
        gatewaySysShare: gw ? Number(sysShare[gw].toFixed(2)) : 0,
        pluginPct: gw === 'gatewayPlugins' ? Math.round(pct.plugin) : 0,
        upstreamPct: Math.round(pct.upstream),
        loadGeneratorPct: Math.round(pct.load),
        otherPct: Math.round(otherPct),
        gatewayUsPerRequest: gw ? usPerRequest(gw) : 0,
        pluginUsPerRequest: gw === 'gatewayPlugins' ? usPerRequest('plugin') : 0,
        upstreamUsPerRequest: usPerRequest('upstream'),
      },
    ]
  }),
)
/** CPU µs per request at 1 connection: what each request cost the gateway (and its plugin) when nothing else queued behind it. */
const cpu1 = Object.fromEntries(
  targets.map(({ key, server }) => {
    const { cpuSec, samples } = one[key]
    const gw = server.name === 'upstream' ? undefined : server.name
    const us = (name) => Math.round((cpuSec[name] * 1e6) / samples)
    return [key, { gatewayUsPerRequest: gw ? us(gw) : 0, pluginUsPerRequest: gw === 'gatewayPlugins' ? us('plugin') : 0, upstreamUsPerRequest: us('upstream') }]
  }),
)
const floorOf = Object.fromEntries(targets.map((target) => [target.key, target.floor]))
const ratiosToDirect = Object.fromEntries(
  targets
    .filter(({ key, floor }) => key !== floor)
    .map((target) => {
      const { key, floor } = target
      const at16 = loaded(target) && { p50Ms16: r3(sixteen[key].p50Ms / sixteen[floor].p50Ms), rps16: r3(sixteen[key].rps / sixteen[floor].rps) }
      return [key, { p50Ms1: r3(one[key].p50Ms / one[floor].p50Ms), ...at16 }]
    }),
)
const overheadMs = {
  noPlugins: r3(one.gateway.p50Ms - one.direct.p50Ms),
  threeHooks: r3(one.gatewayPlugins.p50Ms - one.direct.p50Ms),
  streamNoPlugins: r3(one.stream.p50Ms - one.directStream.p50Ms),
  streamPerChunkHooks: r3(one.streamPlugins.p50Ms - one.stream.p50Ms),
  bareProxy: r3(one.bareProxy.p50Ms - one.direct.p50Ms),
  bareProxyStream: r3(one.bareProxyStream.p50Ms - one.directStream.p50Ms),
}
/** What translating at the edges adds: each translated call − the same call in chat-completions form on the same gateway (p50 @1), in µs. */
const translationUs = {
  messages: Math.round(1000 * (one.messages.p50Ms - one.gateway.p50Ms)),
  messagesStream: Math.round(1000 * (one.messagesStream.p50Ms - one.stream.p50Ms)),
  responses: Math.round(1000 * (one.responses.p50Ms - one.gateway.p50Ms)),
  responsesStream: Math.round(1000 * (one.responsesStream.p50Ms - one.stream.p50Ms)),
}
/** The per-chunk hooks' cost on a translated stream, to hold against the chat-completions stream's `streamPerChunkHooks`. */
const translatedStreamPerChunkHooksMs = {
  messages: r3(one.messagesStreamPlugins.p50Ms - one.messagesStream.p50Ms),
  responses: r3(one.responsesStreamPlugins.p50Ms - one.responsesStream.p50Ms),
}
const shareOfBare = {
  noPlugins: r3(sixteen.gateway.rps / sixteen.bareProxy.rps),
  threeHooks: r3(sixteen.gatewayPlugins.rps / sixteen.bareProxy.rps),
}
const targetsMet = {
  bareShareNoPlugins: shareOfBare.noPlugins >= BARE_SHARE.noPlugins.keep,
  bareShareThreeHooks: shareOfBare.threeHooks >= BARE_SHARE.threeHooks.keep,
  overheadNoPlugins: overheadMs.noPlugins <= TARGETS.overheadNoPluginsMs,
  overheadThreeHooks: overheadMs.threeHooks <= TARGETS.overheadThreeHooksMs,
  rps16NoPlugins: sixteen.gateway.rps >= TARGETS.rps16NoPlugins,
  rps16ThreeHooks: sixteen.gatewayPlugins.rps >= TARGETS.rps16ThreeHooks,
  streamPerChunkHooks: overheadMs.streamPerChunkHooks <= TARGETS.streamHooksExtraMs,
  translationMessages: translationUs.messages <= TARGETS.translationUs,
  translationMessagesStream: translationUs.messagesStream <= TARGETS.translationUs,
  translationResponses: translationUs.responses <= TARGETS.translationUs,
  translationResponsesStream: translationUs.responsesStream <= TARGETS.translationUs,
  translatedStreamPerChunkHooksMessages: translatedStreamPerChunkHooksMs.messages <= TARGETS.streamHooksExtraMs,
  translatedStreamPerChunkHooksResponses: translatedStreamPerChunkHooksMs.responses <= TARGETS.streamHooksExtraMs,
}
const hookCalls = Object.fromEntries(Object.keys(hooksAfter).map((hook) => [hook, hooksAfter[hook] - hooksBefore[hook]]))
const worstOther = Math.max(...noise.map((n) => n.otherPct))
const meanOther = noise.reduce((sum, n) => sum + n.otherPct, 0) / noise.length
const meanSteal = noise.reduce((sum, n) => sum + n.stealPct, 0) / noise.length
const tookSec = (performance.now() - started) / 1000

const result = {
  ...runs,
  overheadMs,
  translationUs,
  translatedStreamPerChunkHooksMs,
  ratiosToDirect,
  shareOfBare,
  cpu1,
  cpu16,
  hookCalls,
  noise: { otherPct: Math.round(meanOther), worstOtherPct: Math.round(worstOther), stealPct: Math.round(meanSteal) },
  env: { node: process.version, cpus: cpus().length, streamChunks: STREAM_CHUNKS, connections: PLAN.connections, loadSec: PLAN.loadSec, profiling: PROFILE, tookSec: Math.round(tookSec) },
  targets: targetsMet,
}

const pass = (ok) => (ok ? 'PASS' : 'FAIL')
const out = []
out.push(
  `Plugboard gateway bench: node ${process.version}, ${cpus().length} CPUs, mock OpenAI upstream on loopback, ` +
    `${STREAM_CHUNKS}-chunk SSE; took ${tookSec.toFixed(1)} s${PROFILE ? '; CPU PROFILING ON: figures are slower than usual' : ''}`,
)
out.push(
  `While timing, other processes used ${meanOther.toFixed(0)}% of the machine's CPU on average (worst phase ${worstOther.toFixed(0)}%, steal ${meanSteal.toFixed(0)}%)` +
    (worstOther >= 10 ? ': the machine was busy, figures are noisy; rerun when it is quiet' : ''),
)
out.push('')
out.push(
  table([
    ['target', 'p50 @1', 'p99 @1', 'req/s @1', `p50 @${PLAN.connections}`, `p99 @${PLAN.connections}`, `req/s @${PLAN.connections}`, 'p50 @1 / floor', `req/s @${PLAN.connections} / floor`],
    ...targets.map((target) => {
      const { key, label, floor } = target
      const at16 = (format, figure) => (loaded(target) ? format(figure(sixteen[key])) : '-')
      return [
        label,
        fmtMs(one[key].p50Ms),
        fmtMs(one[key].p99Ms),
        fmtInt(one[key].rps),
        at16(fmtMs, (run) => run.p50Ms),
        at16(fmtMs, (run) => run.p99Ms),
        at16(fmtInt, (run) => run.rps),
        key === floor ? '-' : fmtX(ratiosToDirect[key].p50Ms1),
        key === floor || !loaded(target) ? '-' : fmtX(ratiosToDirect[key].rps16),
      ]
    }),
  ]),
)
out.push('')
out.push(`CPU during the ${PLAN.connections}-connection runs (% of one core; the machine has ${cpus().length})`)
out.push(
  table([
    ['target', 'proxy', 'of it sys', 'plugin', 'upstream', 'autocannon', 'other', 'proxy µs/req', 'plugin µs/req', 'upstream µs/req', 'proxy+plugin µs/req @1'],
    ...targets.filter(loaded).map(({ key, label }) => {
      const c = cpu16[key]
      const isGateway = key !== floorOf[key]
      return [
        label,
        isGateway ? `${c.gatewayPct}%` : '-',
        isGateway ? `${Math.round(100 * c.gatewaySysShare)}%` : '-',
        key.endsWith('Plugins') ? `${c.pluginPct}%` : '-',
        `${c.upstreamPct}%`,
        `${c.loadGeneratorPct}%`,
        `${c.otherPct}%`,
        isGateway ? String(c.gatewayUsPerRequest) : '-',
        key.endsWith('Plugins') ? String(c.pluginUsPerRequest) : '-',
        String(c.upstreamUsPerRequest),
        isGateway ? String(cpu1[key].gatewayUsPerRequest + cpu1[key].pluginUsPerRequest) : '-',
      ]
    }),
  ]),
)
out.push('')
out.push(
  `Plugin hook calls while timing: ${Object.entries(hookCalls)
    .filter(([hook]) => hook !== 'failures')
    .map(([hook, count]) => `${hook} ${fmtInt(count)}`)
    .join(', ')}; failed or skipped: ${hookCalls.failures}` +
    (hookCalls.failures ? ' (fail-open skipped some hooks: the plugin figures are flattered)' : ''),
)
out.push('')
out.push(
  table([
    ['target', 'measured', 'result'],
    ...[
      ['no plugins', 'noPlugins'],
      ['3 hooks', 'threeHooks'],
    ].map(([label, key]) => [
      `gateway, ${label}: req/s @${PLAN.connections} / bare Node proxy req/s @${PLAN.connections} >= ${BARE_SHARE[key].keep}x (aim ${BARE_SHARE[key].aim}x)`,
      fmtX(shareOfBare[key]),
      shareOfBare[key] >= BARE_SHARE[key].aim ? 'PASS (aim met)' : pass(targetsMet[`bareShare${key[0].toUpperCase()}${key.slice(1)}`]),
    ]),
    [`gateway overhead, no plugins: p50 @1 − direct p50 @1 <= ${TARGETS.overheadNoPluginsMs} ms`, fmtMs(overheadMs.noPlugins), pass(targetsMet.overheadNoPlugins)],
    [`gateway overhead, 3 hooks: p50 @1 − direct p50 @1 <= ${TARGETS.overheadThreeHooksMs} ms`, fmtMs(overheadMs.threeHooks), pass(targetsMet.overheadThreeHooks)],
    [`gateway, no plugins, req/s @${PLAN.connections} >= ${fmtInt(TARGETS.rps16NoPlugins)}`, fmtInt(sixteen.gateway.rps), pass(targetsMet.rps16NoPlugins)],
    [`gateway, 3 hooks, req/s @${PLAN.connections} >= ${fmtInt(TARGETS.rps16ThreeHooks)}`, fmtInt(sixteen.gatewayPlugins.rps), pass(targetsMet.rps16ThreeHooks)],
    [`${STREAM_CHUNKS}-chunk SSE, chunk hook on every chunk − no plugins (p50 @1) <= ${TARGETS.streamHooksExtraMs} ms`, fmtMs(overheadMs.streamPerChunkHooks), pass(targetsMet.streamPerChunkHooks)],
    ...[
      ['Messages API JSON', 'messages', 'chat completions'],
      ['Messages API SSE', 'messagesStream', 'chat completions SSE'],
      ['Responses API JSON', 'responses', 'chat completions'],
      ['Responses API SSE', 'responsesStream', 'chat completions SSE'],
    ].map(([label, key, chat]) => [
      `translation, ${label} − ${chat}, no plugins (p50 @1) <= ${TARGETS.translationUs} µs`,
      `${translationUs[key]} µs`,
      pass(targetsMet[`translation${key[0].toUpperCase()}${key.slice(1)}`]),
    ]),
    ...[
      ['Messages API', 'messages', 'Messages'],
      ['Responses API', 'responses', 'Responses'],
    ].map(([label, key, suffix]) => [
      `${label} SSE, chunk hook on every chunk − no plugins (p50 @1) <= ${TARGETS.streamHooksExtraMs} ms`,
      fmtMs(translatedStreamPerChunkHooksMs[key]),
      pass(targetsMet[`translatedStreamPerChunkHooks${suffix}`]),
    ]),
    ['(info) gateway SSE, no plugins − direct SSE (p50 @1)', fmtMs(overheadMs.streamNoPlugins), ''],
    ['(info) bare Node proxy − direct (p50 @1): the floor for any node:http + undici proxy here', fmtMs(overheadMs.bareProxy), ''],
    ['(info) bare Node proxy SSE − direct SSE (p50 @1)', fmtMs(overheadMs.bareProxyStream), ''],
  ]),
)
if (profileDir) out.push('', `CPU profiles (.cpuprofile) in ${profileDir}/{gateway,gateway-plugins,plugin}; summarise with: node bench/gateway-profile.mjs FILE`)
process.stdout.write(`${out.join('\n')}\n`)
if (JSON_OUTPUT) process.stdout.write(`${JSON.stringify(result)}\n`)
