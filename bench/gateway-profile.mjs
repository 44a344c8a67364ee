// Summarises a V8 CPU profile (from `npm run bench:gateway -- --profile`, or any `node --cpu-prof`):
// `node bench/gateway-profile.mjs FILE.cpuprofile [top=25] [filter] [--callers=NAME] [--requests=N]`.
// Prints where the time went: self time by file (package-level), self time by function, and
// total (inclusive) time of the functions in files whose path contains `filter` (default
// "/packages/": our own code), each as % of the profile's non-idle samples. `--callers=NAME`
// adds the commonest call stacks (`--depth=N` frames up, default 5) of the functions named NAME; `--requests=N`
// adds µs per request (N requests served while profiling). The profiler samples wall time
// while the thread is not idle, so on a busy machine time spent preempted (typically inside
// a system call such as writev) is charged to that function.
import { readFileSync } from 'node:fs'

const flags = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')))
const [file, topArg, filter = '/packages/'] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const requests = Number(flags.requests ?? 0)
if (!file) {
  process.stderr.write('usage: node bench/gateway-profile.mjs FILE.cpuprofile [top=25] [filter] [--callers=NAME] [--requests=N]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

// Time per sample: the delta before the next one.
const selfUs = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0))
}

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(packages|bench)\//, '$1/')
const where = (frame) => `${shortUrl(frame.url) || '(native)'}${frame.url ? `:${frame.lineNumber + 1}` : ''}`
const fnKey = (frame) => `${frame.functionName || '(anonymous)'}  ${where(frame)}`
const fileKey = (frame) => {
  const url = shortUrl(frame.url)
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/builtin)'
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  return pkg ? `node_modules/${pkg[1]}` : url
}

let busy = 0
let idle = 0
const byFile = new Map()
const byFn = new Map()
const inclusive = new Map()
for (const [id, us] of selfUs) {
  const frame = nodes.get(id).callFrame
  if (frame.functionName === '(idle)') {
    idle += us
    continue
  }
  busy += us
  byFile.set(fileKey(frame), (byFile.get(fileKey(frame)) ?? 0) + us)
  byFn.set(fnKey(frame), (byFn.get(fnKey(frame)) ?? 0) + us)
  // Inclusive: charge each distinct matching function on the stack once.
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const f = nodes.get(at).callFrame
    if (!f.url.includes(filter)) continue
    const key = fnKey(f)
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + us)
  }
}

const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
const perRequest = (us) => (requests ? `${(us / requests).toFixed(1).padStart(7)} µs/req  ` : '')
const list = (title, map, n = top) => {
  process.stdout.write(`\n${title}\n`)
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${perRequest(us)}${key}\n`)
}
process.stdout.write(
  `${file}\nbusy ${(busy / 1000).toFixed(0)} ms${requests ? ` (${(busy / requests).toFixed(0)} µs per request)` : ''}, idle ${(idle / 1000).toFixed(0)} ms (percentages are of busy time)\n`,
)
list('self time by file / package', byFile, 20)
list('self time by function', byFn)
list(`total (inclusive) time of functions in files matching "${filter}"`, inclusive)

if (flags.callers) {
  const stacks = new Map()
  for (const [id, us] of selfUs) {
    if (nodes.get(id).callFrame.functionName !== flags.callers) continue
    const frames = []
    for (let at = parent.get(id); at !== undefined && frames.length < Number(flags.depth ?? 5); at = parent.get(at)) {
      const f = nodes.get(at).callFrame
      frames.push(`${f.functionName || '(anonymous)'} ${where(f)}`)
    }
    const key = frames.join('\n        <- ')
    stacks.set(key, (stacks.get(key) ?? 0) + us)
  }
  list(`callers of ${flags.callers} (self time, by stack)`, stacks, 8)
}
