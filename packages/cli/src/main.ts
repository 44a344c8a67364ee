import { readFileSync, statSync } from 'node:fs'
import pino from 'pino'
import { Gateway, yamlFileSource } from '@plugboard/gateway'
import { isPlugboardError } from '@plugboard/proto'
import { parseCommandLine } from './command-line.js'
import { CLI_ERRORS, type CliErrorCode } from './errors.js'
import { demoKeyOf, startupSummary } from './startup-summary.js'

/**
 * Vendor keys in a config file others may read reach every local user, and a
 * plugin running under its own uid (Node plugins are kept from it by Node's
 * permission model; others are not): said once, at start.
 */
function warnIfKeysReadable(path: string, config: Gateway['config'], logger: pino.Logger): void {
  const keyed = config.llms.filter((llm) => llm.apiKey).map((llm) => llm.slug)
  if (keyed.length === 0 || (statSync(path).mode & 0o044) === 0) return
  logger.warn({ config: path, llms: keyed }, 'the config file holds vendor keys and other users may read it; chmod 600 it')
}

async function gateway(options: { config: string; port?: number; host?: string }): Promise<void> {
  const terminal = process.stdout.isTTY === true
  // On a terminal the summary says what matters; one line per request would bury it.
  const level = process.env.LOG_LEVEL || (terminal ? 'warn' : 'info')
  // Asynchronous: under load, lines written while a write is in flight leave together instead of a
  // write(2) per request; pino flushes what is left when the process exits.
  const logger = pino({ level }, pino.destination({ dest: 1, sync: false }))
  const running = await Gateway.start({ source: yamlFileSource(options.config), logger, listen: { host: options.host, port: options.port } })
  warnIfKeysReadable(options.config, running.config, logger)
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  // After the handlers: the summary says Ctrl-C stops, and a Ctrl-C must find them in place.
  if (terminal) {
    const config = running.config
    process.stdout.write(startupSummary({ url: running.url, config, demoKey: demoKeyOf(config, process.env), logLevel: level }))
  }
}

try {
  const command = parseCommandLine(process.argv.slice(2), process.env)
  if (command.command === 'help') process.stdout.write(`${command.usage}\n`)
  else if (command.command === 'version') {
    process.stdout.write(`${(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`)
  } else await gateway(command)
} catch (error) {
  const code = isPlugboardError(error) ? error.code : undefined
  const usage = code !== undefined && code in CLI_ERRORS
  const help = process.argv[2] === 'gateway' ? 'plugboard gateway --help' : 'plugboard --help'
  process.stderr.write(`plugboard: ${code && !usage ? `${code}: ` : ''}${(error as Error).message}\n${usage ? `Run "${help}" for the commands and options.\n` : ''}`)
  process.exit(usage ? CLI_ERRORS[code as CliErrorCode].exitCode : 1)
}
