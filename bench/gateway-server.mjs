// The gateway under test, as its own process: `node bench/gateway-server.mjs CONFIG.yaml`.
// What `plugboard gateway --config` does (loadConfig + Gateway.start), minus the config file
// watcher, with the port taken from the config (0: any free port) and LOG_LEVEL defaulting to
// warn (at info the gateway logs a line per request). Prints one JSON line
// `{"url":"http://127.0.0.1:N","pid":P}` on stdout once listening. On SIGTERM/SIGINT it closes
// the gateway (which stops its plugins) and exits normally, so `--cpu-prof` profiles get written.
import pino from 'pino'
import { Gateway, loadConfig } from '@plugboard/gateway'

const configPath = process.argv[2]
if (!configPath) {
  process.stderr.write('usage: node bench/gateway-server.mjs CONFIG.yaml\n')
  process.exit(2)
}
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2))
const gateway = await Gateway.start({ config: await loadConfig(configPath), logger })
process.stdout.write(`${JSON.stringify({ url: gateway.url, pid: process.pid })}\n`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    gateway.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`gateway close failed: ${error}\n`)
        process.exit(1)
      },
    )
  })
}
