import { performance } from 'node:perf_hooks'
import { readFileSync, readdirSync } from 'node:fs'
const ticks = (pid) => { const out = {}; for (const t of readdirSync(`/proc/${pid}/task`)) { const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim(); out[name] = (out[name] ?? 0) + Number(f[11]) + Number(f[12]) } return out }
const diff = (a, b, calls) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, +(((v - (a[k] ?? 0)) * 10000) / calls).toFixed(1)]).filter(([, v]) => v > 0))
import { PluginHost } from '@plugboard/host'
import { pluginv1 } from '@plugboard/proto'
import pino from 'pino'

const mode = process.argv[2] ?? 'hook' // hook | hook16 | unary
const seconds = Number(process.argv[3] ?? 4)
const pluginProf = process.argv.includes('--plugin-prof')
const stats = { enc: 0, encMsgs: 0, dec: 0, decMsgs: 0 }
const enc = pluginv1.HookFrame.encode, dec = pluginv1.HookFrame.decode
pluginv1.HookFrame.encode = (v, w) => { stats.enc++; stats.encMsgs += v.messages.length; return enc(v, w) }
pluginv1.HookFrame.decode = (b, l) => { const f = dec(b, l); stats.dec++; stats.decMsgs += f.messages.length; return f }

const req = { requestId: 'r1', request: { method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-xxxx' }, body: Buffer.from('{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}'), clientIp: '127.0.0.1' } }
const host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'warn' }) })
const plugin = await host.load({ name: 'p', source: process.argv.includes('--exp') ? new URL('./_exp-echo.mjs', import.meta.url).href : process.argv.includes('--plugin-perf') ? 'file:///tmp/pbprof/plugin-perf.sh' : pluginProf ? 'file:///tmp/pbprof/plugin-prof.sh' : new URL('./echo-plugin.mjs', import.meta.url).href, config: null, healthIntervalMs: 0,
  env: pluginProf ? { PB_PROF_DIR: `/tmp/pbprof/plugin-${mode}` } : undefined })
const o = { deadlineMs: 1000 }
const fn = mode.startsWith('unary') ? () => plugin.rpc('preAuth', req, o) : () => plugin.callHook('preAuth', req, o)
const inflight = mode.endsWith('16') ? 16 : 1
try {
for (let i = 0; i < 2000; i++) await fn()
Object.assign(stats, { enc: 0, encMsgs: 0, dec: 0, decMsgs: 0 })
let calls = 0
const end = performance.now() + seconds * 1000
const t0 = performance.now()
const cpu0 = process.cpuUsage(); const ht0 = ticks(process.pid), pt0 = ticks(plugin.pid)
await Promise.all(Array.from({ length: inflight }, async () => { while (performance.now() < end) { await fn(); calls++ } }))
const el = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0); const ht1 = ticks(process.pid), pt1 = ticks(plugin.pid)
console.log('host threads us/call', JSON.stringify(diff(ht0, ht1, calls)), 'plugin threads us/call', JSON.stringify(diff(pt0, pt1, calls)))
console.log(JSON.stringify({ mode, callsPerSec: Math.round(calls / el), usPerCall: +(el * 1e6 / calls).toFixed(1), hostCpuUsPerCall: +((cpu.user + cpu.system) / calls).toFixed(1), hostUserUs: +(cpu.user / calls).toFixed(1), hostSysUs: +(cpu.system / calls).toFixed(1),
  framesOut: stats.enc, msgsPerFrameOut: +(stats.encMsgs / stats.enc).toFixed(2), framesIn: stats.dec, msgsPerFrameIn: +(stats.decMsgs / stats.dec).toFixed(2) }))
} finally { await host.shutdown() }
