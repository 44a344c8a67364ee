// The gateway bench's load generator, run as its own process so it does not share an event loop
// with anything it measures: `node bench/gateway-load.mjs '<json options>'`.
// Options: { url, connections, warmupSec, durationSec, method, headers, body }; each `{n}` in the
// body becomes a number unique to the request (Studio's bench creates objects).
// Runs autocannon programmatically, a warm-up run then the timed run. Prints `{"phase":"timed"}`
// as the timed run starts (so the bench can sample CPU over exactly that window), then one JSON line:
// { requests, durationSec, rps, p50Ms, p99Ms, meanMs, non2xx, errors, timeouts, autocannonP50Ms, autocannonP99Ms, warmupRequests }.
// Latency percentiles are computed from every response's own time (autocannon's `response`
// event, float ms), because autocannon's histogram keeps whole milliseconds.
import autocannon from 'autocannon'

const options = JSON.parse(process.argv[2] ?? '{}')
const request = {
  url: options.url,
  connections: options.connections ?? 16,
  pipelining: 1,
  method: options.method ?? 'POST',
  headers: options.headers ?? {},
  body: options.body,
  timeout: 10,
}
let unique = 0
if (options.body?.includes('{n}')) request.requests = [{ setupRequest: (req) => ({ ...req, body: options.body.replaceAll('{n}', String(unique++)) }) }]

function run(durationSec, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ ...request, duration: durationSec }, (error, result) => (error ? reject(error) : resolve(result)))
    if (onResponse) instance.on('response', onResponse)
  })
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

const warmup = options.warmupSec > 0 ? await run(options.warmupSec) : undefined
process.stdout.write('{"phase":"timed"}\n')
let latencies = new Float64Array(1 << 16)
let count = 0
const result = await run(options.durationSec ?? 5, (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode >= 300) return
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2)
    grown.set(latencies)
    latencies = grown
  }
  latencies[count++] = responseTime
})
const sorted = latencies.subarray(0, count).sort()
let sum = 0
for (const value of sorted) sum += value
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    durationSec: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: count ? sum / count : NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    autocannonP50Ms: result.latency.p50,
    autocannonP99Ms: result.latency.p99,
    warmupRequests: warmup?.requests.total ?? 0,
  })}\n`,
)
