// Host hot-path benchmark: `npm run bench:host` (add `-- --json` for a JSON last line, `-- --no-tls` for a plaintext Unix socket).
// See bench/README.md for what each figure means and the targets.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { PluginHost } from '@plugboard/host'
import { pluginv1 } from '@plugboard/proto'
import pino from 'pino'
import { Sequential, percentile } from './sequential.mjs'

const JSON_OUTPUT = process.argv.includes('--json')
/** mTLS on the plugin's Unix socket, as for a plugin sharing the host's uid; `--no-tls` measures it as for an isolated one. */
const TLS = !process.argv.includes('--no-tls')
const here = (file) => fileURLToPath(new URL(file, import.meta.url))

/** How much each phase does; the whole run stays well under a minute. */
const PLAN = {
  warmupCalls: 2000,
  /** Raw and hook sequential calls are measured in alternating rounds, so a burst of load elsewhere on the machine hits both. */
  rounds: 5,
  rawCallsPerRound: 4000,
  hookCallsPerRound: 4000,
  unaryCalls: 5000,
  inFlight: 16,
  concurrentWarmupMs: 1000,
  concurrentMs: 3000,
  memoryPlugins: 10,
}
const TARGETS = { hookToRawP50: 3, hook16CallsPerSec: 25_000 }

const progress = (message) => process.stderr.write(`[bench] ${message}\n`)

/** What to stop if the bench is interrupted, so no plugin or echo server outlives it. */
const cleanups = new Set()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    progress(`${signal}: stopping child processes`)
    await Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
    process.exit(130)
  })
}

// ---------------------------------------------------------------- the request

const preAuthRequest = {
  requestId: 'r1',
  request: {
    method: 'POST',
    path: '/v1/chat/completions',
    query: '',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-xxxx' },
    body: Buffer.from('{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}'),
    clientIp: '127.0.0.1',
  },
}
/** Bytes of one preAuth call as the hook channel frames it (protobuf HookFrame + gRPC's 5-byte message prefix). */
const hookRequestBytes =
  pluginv1.HookFrame.encode({ messages: [{ id: 12345, deadlineMs: 1000, body: { $case: 'preAuth', value: preAuthRequest } }] }).finish()
    .length + 5

// ---------------------------------------------------------------- measuring


/** `inFlight` loops each awaiting `fn` back to back for `durationMs` (after a warm-up as long as PLAN says): calls/s and per-call p50. */
async function concurrent(fn, inFlight, durationMs) {
  const run = async (ms, record) => {
    let calls = 0
    const deadline = performance.now() + ms
    const loop = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        await fn()
        record?.push(performance.now() - t0)
        calls++
      }
    }
    const start = performance.now()
    await Promise.all(Array.from({ length: inFlight }, loop))
    return calls / ((performance.now() - start) / 1000)
  }
  await run(PLAN.concurrentWarmupMs)
  const latencies = []
  const callsPerSec = await run(durationMs, latencies)
  latencies.sort((a, b) => a - b)
  return { callsPerSec, p50Us: percentile(latencies, 50) * 1000 }
}

/** Machine-wide CPU ticks (/proc/stat) and this process's own, children included once they have exited. */
function cpuTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const [utime, stime, cutime, cstime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number)
  return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal, ours: utime + stime + cutime + cstime }
}

/** Share of the machine's CPU that other processes (and the hypervisor, as steal) took between two `cpuTicks()`. */
function interference(before, after) {
  const total = after.total - before.total || 1
  return { otherPct: (100 * Math.max(0, after.busy - before.busy - (after.ours - before.ours))) / total, stealPct: (100 * (after.steal - before.steal)) / total }
}

function vmRssMb(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : NaN
}

/** Runs a Node script as a child; resolves with the first stdout line matching `accept`. */
function spawnNode(args, accept) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (text) => {
      if (accept(text)) resolve(text)
    })
    child.once('exit', (code, signal) => reject(new Error(`${args.at(-1)} exited (code ${code}, signal ${signal}) before reporting`)))
    child.once('error', reject)
  })
  return { child, line }
}

// ---------------------------------------------------------------- 1. raw socket echo

/** Starts the echo server process and connects to it; `roundTrip()` sends one message and resolves when it is back. */
async function startRawEcho() {
  const dir = await mkdtemp(join(tmpdir(), 'pb-bench-'))
  const socketPath = join(dir, 'echo.sock')
  const server = spawnNode([here('./raw-echo-server.mjs'), socketPath], (text) => text === 'ready')
  const close = async () => {
    cleanups.delete(close)
    if (server.child.exitCode === null && server.child.signalCode === null) {
      const exited = once(server.child, 'exit').catch(() => undefined)
      server.child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  cleanups.add(close)
  try {
    await server.line
    const socket = net.connect(socketPath)
    await once(socket, 'connect')
    const payloadBytes = hookRequestBytes - 4 // with its 4-byte length prefix, the same size on the wire as a hook request
    const message = Buffer.alloc(4 + payloadBytes, 0x61)
    message.writeUInt32BE(payloadBytes, 0)

    const waiting = []
    let pending = null
    socket.on('data', (chunk) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk
      let offset = 0
      while (buf.length - offset >= 4) {
        const end = offset + 4 + buf.readUInt32BE(offset)
        if (buf.length < end) break
        offset = end
        waiting.shift()()
      }
      pending = offset < buf.length ? buf.subarray(offset) : null
    })
    const roundTrip = () =>
      new Promise((resolve) => {
        waiting.push(resolve)
        socket.write(message)
      })
    return {
      roundTrip,
      messageBytes: message.length,
      close: async () => {
        socket.destroy()
        await close()
      },
    }
  } catch (error) {
    await close()
    throw error
  }
}

// ---------------------------------------------------------------- 2 + 3. hook channel and unary

async function benchHostAndRaw() {
  const host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'warn' }) })
  const stopHost = () => host.shutdown()
  cleanups.add(stopHost)
  let raw
  try {
    const plugin = await host.load({
      name: 'bench-echo',
      source: new URL('./echo-plugin.mjs', import.meta.url).href,
      config: null,
      healthIntervalMs: 0,
      autoMtls: TLS,
    })
    if (!plugin.description?.hookChannel) throw new Error('the bench plugin did not open a hook channel')
    const options = { deadlineMs: 1000 }
    const callHook = async () => {
      const response = await plugin.callHook('preAuth', preAuthRequest, options)
      if (response.result?.$case !== 'pass') throw new Error(`unexpected hook result ${JSON.stringify(response)}`)
    }
    const callUnary = async () => {
      const response = await plugin.rpc('preAuth', preAuthRequest, options)
      if (response.result?.$case !== 'pass') throw new Error(`unexpected unary result ${JSON.stringify(response)}`)
    }
    await sleep(300)
    const pluginStartMb = vmRssMb(plugin.pid)

    progress(`raw Unix-socket echo vs hook channel, 1 in flight (${PLAN.rounds} alternating rounds, ${hookRequestBytes}-byte messages)`)
    raw = await startRawEcho()
    const rawSeq = new Sequential(raw.roundTrip)
    const hookSeq = new Sequential(callHook)
    await rawSeq.warmUp(PLAN.warmupCalls)
    await hookSeq.warmUp(PLAN.warmupCalls)
    for (let round = 0; round < PLAN.rounds; round++) {
      await rawSeq.warmUp(200)
      await rawSeq.measure(PLAN.rawCallsPerRound)
      await hookSeq.warmUp(200)
      await hookSeq.measure(PLAN.hookCallsPerRound)
    }
    await raw.close()
    raw = undefined

    progress(`hook channel, ${PLAN.inFlight} in flight`)
    const hook16 = await concurrent(callHook, PLAN.inFlight, PLAN.concurrentMs)
    progress('unary RPC, 1 in flight')
    const unarySeq = new Sequential(callUnary)
    await unarySeq.warmUp(PLAN.warmupCalls)
    await unarySeq.measure(PLAN.unaryCalls)
    progress(`unary RPC, ${PLAN.inFlight} in flight`)
    const unary16 = await concurrent(callUnary, PLAN.inFlight, PLAN.concurrentMs)
    const pluginAfterMb = vmRssMb(plugin.pid)
    const inMicroseconds = (sequential) => {
      const { p50Ms, p99Ms, perSec } = sequential.result()
      return { p50Us: p50Ms * 1000, p99Us: p99Ms * 1000, callsPerSec: perSec }
    }
    return { raw: inMicroseconds(rawSeq), hook: inMicroseconds(hookSeq), hook16, unary: inMicroseconds(unarySeq), unary16, pluginStartMb, pluginAfterMb }
  } finally {
    await raw?.close()
    await host.shutdown()
    cleanups.delete(stopHost)
  }
}

// ---------------------------------------------------------------- 4. memory

async function benchMemory() {
  const probe = spawnNode(['--expose-gc', here('./host-with-plugins.mjs'), String(PLAN.memoryPlugins)], (text) => text.startsWith('{'))
  const exited = once(probe.child, 'exit')
  const stopProbe = async () => {
    probe.child.kill('SIGTERM') // the probe's host stops its plugins on SIGTERM
    await exited
  }
  cleanups.add(stopProbe)
  const report = JSON.parse(await probe.line)
  await exited
  cleanups.delete(stopProbe)
  const sorted = [...report.pluginsMb].sort((a, b) => a - b)
  return { hostBaselineMb: report.hostBaselineMb, hostMb: report.hostMb, idlePluginMb: percentile(sorted, 50), plugins: report.count }
}

// ---------------------------------------------------------------- report

const round = (value, digits = 1) => Number(value.toFixed(digits))
const fmtInt = (value) => Math.round(value).toLocaleString('en-US')
const fmtUs = (value) => `${value.toFixed(1)} µs`

function table(rows) {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)))
  const line = (row) => row.map((cell, col) => (col === 0 ? String(cell).padEnd(widths[col]) : String(cell).padStart(widths[col]))).join('   ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.slice(1).map(line)].join('\n')
}

const started = performance.now()
const ticksBefore = cpuTicks()
const { raw, hook, hook16, unary, unary16, pluginStartMb, pluginAfterMb } = await benchHostAndRaw()
const noise = interference(ticksBefore, cpuTicks())
progress(`memory: a separate host process with ${PLAN.memoryPlugins} plugins`)
const memory = await benchMemory()

const ratio = hook.p50Us / raw.p50Us
const result = {
  tls: TLS,
  raw: { p50Us: round(raw.p50Us), p99Us: round(raw.p99Us), callsPerSec: Math.round(raw.callsPerSec) },
  hook: { p50Us: round(hook.p50Us), p99Us: round(hook.p99Us), callsPerSec1: Math.round(hook.callsPerSec), callsPerSec16: Math.round(hook16.callsPerSec) },
  unary: { p50Us: round(unary.p50Us), p99Us: round(unary.p99Us), callsPerSec1: Math.round(unary.callsPerSec) },
  hookToRawP50Ratio: round(ratio, 2),
  rssMb: { idlePlugin: round(memory.idlePluginMb), hostWith10Plugins: round(memory.hostMb) },
  targets: { hookWithin3xRaw: ratio <= TARGETS.hookToRawP50, hook16AtLeast25k: hook16.callsPerSec >= TARGETS.hook16CallsPerSec },
}
const pass = (ok) => (ok ? 'PASS' : 'FAIL')

const out = []
out.push(
  `Plugboard host bench: node ${process.version}, ${cpus().length} CPUs, mTLS ${TLS ? 'on' : 'off'}, ${hookRequestBytes}-byte hook request; ` +
    `took ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
out.push(
  `While timing, other processes used ${noise.otherPct.toFixed(0)}% of the machine's CPU (steal ${noise.stealPct.toFixed(0)}%)` +
    (noise.otherPct >= 10 ? ': the machine was busy, figures are noisy; rerun when it is quiet' : ''),
)
out.push('')
out.push(
  table([
    ['path', 'p50', 'p99', 'calls/s (1 in flight)', `calls/s (${PLAN.inFlight} in flight)`, `p50 at ${PLAN.inFlight}`],
    ['raw Unix-socket echo (floor)', fmtUs(raw.p50Us), fmtUs(raw.p99Us), fmtInt(raw.callsPerSec), '-', '-'],
    ['hook channel preAuth', fmtUs(hook.p50Us), fmtUs(hook.p99Us), fmtInt(hook.callsPerSec), fmtInt(hook16.callsPerSec), fmtUs(hook16.p50Us)],
    ['unary RPC preAuth', fmtUs(unary.p50Us), fmtUs(unary.p99Us), fmtInt(unary.callsPerSec), fmtInt(unary16.callsPerSec), fmtUs(unary16.p50Us)],
  ]),
)
out.push('')
out.push(
  table([
    ['memory (RSS)', 'MB'],
    ['idle plugin process (median of the probe host\'s plugins)', memory.idlePluginMb.toFixed(1)],
    [`host process with ${memory.plugins} plugins loaded`, memory.hostMb.toFixed(1)],
    ['  same host process before loading any (info)', memory.hostBaselineMb.toFixed(1)],
    ['bench plugin right after load (info)', pluginStartMb.toFixed(1)],
    ['bench plugin after all calls (info)', pluginAfterMb.toFixed(1)],
  ]),
)
out.push('')
out.push(
  table([
    ['target', 'measured', 'result'],
    [`hook p50 within ${TARGETS.hookToRawP50}x of raw p50`, `${ratio.toFixed(2)}x`, pass(result.targets.hookWithin3xRaw)],
    [`hook calls/s at ${PLAN.inFlight} in flight >= ${fmtInt(TARGETS.hook16CallsPerSec)}`, fmtInt(hook16.callsPerSec), pass(result.targets.hook16AtLeast25k)],
    ['(info) unary p50 / hook p50', `${(unary.p50Us / hook.p50Us).toFixed(2)}x`, ''],
  ]),
)
process.stdout.write(`${out.join('\n')}\n`)
if (JSON_OUTPUT) process.stdout.write(`${JSON.stringify(result)}\n`)
