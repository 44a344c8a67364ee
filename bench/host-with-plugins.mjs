// Memory probe for the host bench: a dedicated host process (so the bench's own
// allocations stay out of the figure) that loads N echo plugins, lets them sit
// idle, and prints one JSON line: its own RSS before and after, and each
// plugin process's VmRSS. Usage: node --expose-gc host-with-plugins.mjs [N]
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { PluginHost } from '@plugboard/host'
import pino from 'pino'

const count = Number(process.argv[2] ?? 10)
const source = new URL('./echo-plugin.mjs', import.meta.url).href
const mb = (bytes) => bytes / (1024 * 1024)
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await sleep(100)
  }
}
const vmRssMb = (pid) => {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : NaN
}

const host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'warn' }) })
process.once('SIGTERM', () => host.shutdown().finally(() => process.exit(143)))
process.stdin.on('end', () => host.shutdown().finally(() => process.exit(1))) // the bench went away
process.stdin.resume()
try {
  await settle()
  const hostBaselineMb = mb(process.memoryUsage().rss)
  const plugins = []
  // Two at a time: the machine has two cores, and each launch makes a TLS identity.
  for (let i = 0; i < count; i += 2) {
    const batch = []
    for (let j = i; j < Math.min(count, i + 2); j++) {
      batch.push(host.load({ name: `bench-echo-${j}`, source, config: null, healthIntervalMs: 0 }))
    }
    plugins.push(...(await Promise.all(batch)))
  }
  await sleep(1000) // let every plugin finish starting up and go idle
  await settle()
  const hostMb = mb(process.memoryUsage().rss)
  const pluginsMb = plugins.map((plugin) => vmRssMb(plugin.pid))
  process.stdout.write(`${JSON.stringify({ count: plugins.length, hostBaselineMb, hostMb, pluginsMb })}\n`)
} finally {
  await host.shutdown()
  process.stdin.destroy()
}
