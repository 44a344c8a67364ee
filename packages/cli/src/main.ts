import { existsSync, readFileSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import type { GatewayConfig } from '@plugboard/gateway'
import { isPlugboardError } from '@plugboard/proto'
import type { ConfigChange } from '@plugboard/studio'
import { parseCommandLine, type Command } from './command-line.js'
import { CLI_ERRORS, type CliErrorCode } from './errors.js'
import { platformSummary } from './platform-summary.js'
import { demoKeyOf, startupSummary } from './startup-summary.js'
import { studioRequest } from './studio-client.js'

/** The demo `plugboard up` seeds a new database with: the repository's examples/gateway.yaml, when it is there. */
const DEMO_SEED = fileURLToPath(new URL('../../../examples/gateway.yaml', import.meta.url))

/**
 * Vendor keys in a config file others may read reach every local user, and a
 * plugin running under its own uid (Node plugins are kept from it by Node's
 * permission model; others are not): said once, at start.
 */
function warnIfKeysReadable(path: string, config: GatewayConfig, logger: pino.Logger): void {
  const keyed = config.llms.filter((llm) => llm.apiKey).map((llm) => llm.slug)
  if (keyed.length === 0 || (statSync(path).mode & 0o044) === 0) return
  logger.warn({ config: path, llms: keyed }, 'the config file holds vendor keys and other users may read it; chmod 600 it')
}

/** On a terminal the summary says what matters; one line per request would bury it. */
function logLevel(): string {
  return process.env.LOG_LEVEL || (process.stdout.isTTY === true ? 'warn' : 'info')
}

/**
 * Asynchronous: under load, lines written while a write is in flight leave together instead of a
 * write(2) per request; pino flushes what is left when the process exits.
 */
function makeLogger(level: string): pino.Logger {
  return pino({ level }, pino.destination({ dest: 1, sync: false }))
}

/** Stops `running` on SIGTERM or Ctrl-C, then exits. */
function stopOnSignals(running: { close(): Promise<void> }, logger: pino.Logger): void {
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
}

async function gateway(options: { config: string; port?: number; host?: string }): Promise<void> {
  const terminal = process.stdout.isTTY === true
  const level = logLevel()
  const logger = makeLogger(level)
  const { Gateway, yamlFileSource } = await import('@plugboard/gateway')
  const running = await Gateway.start({ source: yamlFileSource(options.config), logger, listen: { host: options.host, port: options.port } })
  warnIfKeysReadable(options.config, running.config, logger)
  stopOnSignals(running, logger)
  // After the handlers: the summary says Ctrl-C stops, and a Ctrl-C must find them in place.
  if (terminal) {
    const config = running.config
    process.stdout.write(startupSummary({ url: running.url, config, demoKey: demoKeyOf(config, process.env), logLevel: level }))
  }
}

/**
 * `plugboard up` and `plugboard studio`. The summary is printed whether or
 * not stdout is a terminal: it holds the generated admin password and demo
 * key, which are shown only on the first start.
 */
async function platform(options: Extract<Command, { command: 'up' | 'studio' }>): Promise<void> {
  const level = logLevel()
  const logger = makeLogger(level)
  // The database opens first (the embedded one compiles its WASM in its own thread), while the rest of the platform loads.
  const { openDatabase } = await import('@plugboard/studio/database')
  const database = openDatabase(options.databaseUrl ? { url: options.databaseUrl } : { dataDir: options.data })
  database.catch(() => undefined)
  const { Platform, Studio } = await import('@plugboard/studio')
  const common = { dataDir: options.data, databaseUrl: options.databaseUrl, logger, database }
  if (options.command === 'up') {
    const up = await Platform.start({ ...common, host: options.host, port: options.port, seedFile: options.seed || undefined, analytics: options.analytics })
    stopOnSignals(up, logger)
    process.stdout.write(platformSummary({ url: up.url, config: up.config, database: up.studio.database.where, firstAdmin: up.studio.firstAdmin, seeded: up.seeded, env: process.env, logLevel: level }))
    return
  }
  const studio = await Studio.start(common)
  const server = createServer(studio.handle)
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve))
  const address = server.address() as { port: number }
  stopOnSignals({ close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => studio.close()) }, logger)
  process.stdout.write(platformSummary({ url: `http://${options.host}:${address.port}`, database: studio.database.where, firstAdmin: studio.firstAdmin, seeded: undefined, env: process.env, logLevel: level }))
}

function describeChanges(changes: ConfigChange[]): string {
  if (changes.length === 0) return 'no changes: Studio already matches the file\n'
  const sign = { create: '+', update: '~', delete: '-' }
  return `${changes.map((change) => `${sign[change.action]} ${change.section}/${change.key}${change.fields ? ` (${change.fields.join(', ')})` : ''}`).join('\n')}\n`
}

async function config(options: Extract<Command, { command: 'config-export' | 'config-apply' }>): Promise<void> {
  if (options.command === 'config-export') {
    const yaml = await (await studioRequest(options, `/api/v1/config/export?withSecrets=${options.withSecrets}`, 'yaml')).text()
    if (options.output) await writeFile(options.output, yaml, { mode: 0o600 })
    else process.stdout.write(yaml)
    return
  }
  const { readConfigFile } = await import('@plugboard/studio')
  const document = await readConfigFile(options.file, process.env)
  const preview = (await (await studioRequest(options, '/api/v1/config/apply?dryRun=true', 'json', { method: 'POST', body: document })).json()) as { changes: ConfigChange[] }
  process.stdout.write(describeChanges(preview.changes))
  if (options.dryRun || preview.changes.length === 0) return
  const applied = (await (await studioRequest(options, '/api/v1/config/apply', 'json', { method: 'POST', body: document })).json()) as { changes: ConfigChange[] }
  process.stdout.write(`applied ${applied.changes.length} change${applied.changes.length === 1 ? '' : 's'}\n`)
}

try {
  const command = parseCommandLine(process.argv.slice(2), process.env, { ...(existsSync(DEMO_SEED) && { seed: DEMO_SEED }) })
  if (command.command === 'help') process.stdout.write(`${command.usage}\n`)
  else if (command.command === 'version') {
    process.stdout.write(`${(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`)
  } else if (command.command === 'gateway') await gateway(command)
  else if (command.command === 'up' || command.command === 'studio') await platform(command)
  else if (command.command === 'config-export' || command.command === 'config-apply') await config(command)
} catch (error) {
  const code = isPlugboardError(error) ? error.code : undefined
  const usage = code === 'CLI_INVALID_USAGE'
  const sub = process.argv[2]
  const help = sub && ['gateway', 'up', 'studio', 'config'].includes(sub) ? `plugboard ${sub} --help` : 'plugboard --help'
  process.stderr.write(`plugboard: ${code && !usage ? `${code}: ` : ''}${(error as Error).message}\n${usage ? `Run "${help}" for the commands and options.\n` : ''}`)
  process.exit(code !== undefined && code in CLI_ERRORS ? CLI_ERRORS[code as CliErrorCode].exitCode : 1)
}
