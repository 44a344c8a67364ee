import { parseArgs, type ParseArgsConfig } from 'node:util'
import { usageError } from './errors.js'

/** `plugboard --help`. */
export const USAGE = `Usage: plugboard <command> [options]

Plugboard: an AI gateway platform whose requests flow through plugins.

Commands:
  up           run Studio and the gateway on one port (plugboard up --help)
  studio       run Studio, the control plane, alone
  gateway      run the gateway from a YAML config (plugboard gateway --help)
  config       export Studio's config as gateway YAML, or apply a YAML file to it
  help         show this help

Options:
  -h, --help     show help (plugboard <command> --help: that command's)
  -v, --version  print the version

Examples:
  plugboard up
  plugboard gateway --config examples/gateway.yaml
  plugboard config export > plugboard.yaml

Exit status: 0 done, 1 failed (the message says why), 2 unknown command or option.`

/** `plugboard gateway --help`. */
export const GATEWAY_USAGE = `Usage: plugboard gateway --config FILE [--port N] [--host ADDR]

Runs the gateway: the OpenAI API (/v1/chat/completions, /v1/embeddings,
/v1/models), plugin endpoints (/plugins/NAME/...), /health, /ready, /metrics.
It reloads the config when FILE changes and stops gracefully on SIGTERM or
Ctrl-C. The config format is in packages/gateway/README.md.

Options:
  -c, --config FILE  the YAML config (required), e.g. examples/gateway.yaml
  -p, --port N       listen on port N instead of the config's server.port
      --host ADDR    listen on ADDR instead of the config's server.host
  -h, --help         show this help

Environment:
  PLUGBOARD_PORT        the port, when --port is not given
  LOG_LEVEL             pino log level: info (default), or warn on a terminal
  PLUGBOARD_MASTER_KEY  decrypts the config's apiKeyEncrypted vendor keys
  PLUGBOARD_DEMO_KEY    the demo app's key in examples/gateway.yaml

Output: on a terminal, a summary (URL, models, plugins, a curl to try) and
then warnings and errors; otherwise one JSON log line per event (pino).`

/** `plugboard up --help` and `plugboard studio --help`. */
export const UP_USAGE = `Usage: plugboard up [--port N] [--host ADDR] [--data DIR] [--seed FILE | --no-seed] [--no-analytics]
       plugboard studio [--port N] [--host ADDR] [--data DIR]

up runs the whole platform in one process: Studio's admin API under /api/v1
(OpenAPI at /api/v1/openapi.json) and the gateway (/v1/..., /health, /ready,
/metrics) on one port, the gateway fed live from Studio's database. studio
runs the admin API alone. The first start creates the database, the first
admin and (up) seeds the demo from examples/gateway.yaml: the mock LLM, the
demo app and the example plugins; it prints the admin login and demo key once.

Options:
  -p, --port N     listen on port N (default 8080)
      --host ADDR  listen on ADDR (default 127.0.0.1)
  -d, --data DIR   the data directory: embedded database, master key (default ./data)
      --seed FILE  the gateway YAML to seed a new database with (default examples/gateway.yaml)
      --no-seed    seed nothing
      --no-analytics  do not write each proxied request to Studio's analytics (a
                   data-collection plugin may ship them elsewhere)
  -h, --help       show this help

Environment:
  PLUGBOARD_PORT, PLUGBOARD_DATA  as --port and --data
  DATABASE_URL                    PostgreSQL instead of the embedded database
  PLUGBOARD_MASTER_KEY            encrypts vendor secrets (default: DIR/master.key, made on first start)
  PLUGBOARD_ADMIN_EMAIL, PLUGBOARD_ADMIN_PASSWORD, PLUGBOARD_ADMIN_TOKEN
                                  the first admin (first start only; otherwise generated and printed)
  PLUGBOARD_DEMO_KEY              the demo app's key (first start; otherwise generated and printed)
  LOG_LEVEL                       pino log level: info, or warn on a terminal`

/** `plugboard config --help`. */
export const CONFIG_USAGE = `Usage: plugboard config export [--with-secrets] [--output FILE] [--url URL] [--token TOKEN]
       plugboard config apply FILE [--dry-run] [--url URL] [--token TOKEN]

export writes everything Studio serves (LLMs, apps and their key hashes,
prices, budgets, plugins, gateway settings) in the YAML format of
plugboard gateway --config; vendor keys only with --with-secrets, encrypted
under Studio's master key. apply shows what FILE changes, then makes Studio
match it (--dry-run: shows only). Sections FILE has are reconciled entirely;
sections it lacks are left alone. Applying the same file again changes nothing.

Options:
      --url URL        Studio (default $PLUGBOARD_URL, or http://127.0.0.1:$PLUGBOARD_PORT or 8080)
      --token TOKEN    an admin's API token (default $PLUGBOARD_TOKEN, or $PLUGBOARD_ADMIN_TOKEN)
  -o, --output FILE    export: write FILE (mode 0600) instead of standard output
      --with-secrets   export: include vendor keys as apiKeyEncrypted
      --dry-run        apply: show the changes, change nothing
  -h, --help           show this help`

export interface StudioTarget {
  url: string
  token: string | undefined
}

/** What the command line asks for. */
export type Command =
  | { command: 'help'; usage: string }
  | { command: 'version' }
  | { command: 'gateway'; config: string; port?: number; host?: string }
  | { command: 'up' | 'studio'; port: number; host: string; data: string; databaseUrl: string | undefined; seed: string | false; analytics: boolean }
  | ({ command: 'config-export'; withSecrets: boolean; output: string | undefined } & StudioTarget)
  | ({ command: 'config-apply'; file: string; dryRun: boolean } & StudioTarget)

const COMMANDS = ['up', 'studio', 'gateway', 'config', 'help']

/**
 * Parses `argv` (without node and the script). Throws CLI_INVALID_USAGE for
 * an unknown command or option, or a missing or malformed value.
 *
 * @example
 * parseCommandLine(['gateway', '--config', 'gateway.yaml', '--port', '8080'])
 * // { command: 'gateway', config: 'gateway.yaml', port: 8080 }
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}, defaults: { seed?: string } = {}): Command {
  const [command, ...args] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help', usage: USAGE }
  if (command === '--version' || command === '-v') return { command: 'version' }
  switch (command) {
    case 'gateway':
      return gatewayCommand(args, env)
    case 'up':
    case 'studio':
      return platformCommand(command, args, env, defaults.seed)
    case 'config':
      return configCommand(args, env)
  }
  throw usageError(command.startsWith('-') ? `unknown option "${command}"` : `unknown command "${command}"; the commands are: ${COMMANDS.join(', ')}`)
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals })
  } catch (cause) {
    // Node's wording is clear ("Unknown option '--prot'"); the code and exit status are ours.
    throw usageError((cause as Error).message)
  }
}

const PORT_HOST = { port: { type: 'string', short: 'p' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const

function gatewayCommand(args: string[], env: NodeJS.ProcessEnv): Command {
  const { values } = parse(args, { ...PORT_HOST, config: { type: 'string', short: 'c' } })
  if (values.help) return { command: 'help', usage: GATEWAY_USAGE }
  if (!values.config) throw usageError('plugboard gateway needs --config FILE (e.g. --config examples/gateway.yaml)')
  const port = portOf(values.port, env)
  return { command: 'gateway', config: values.config, ...(port !== undefined && { port }), ...(values.host !== undefined && { host: values.host }) }
}

function platformCommand(command: 'up' | 'studio', args: string[], env: NodeJS.ProcessEnv, defaultSeed: string | undefined): Command {
  const { values } = parse(args, {
    ...PORT_HOST,
    data: { type: 'string', short: 'd' },
    ...(command === 'up' && { seed: { type: 'string' }, 'no-seed': { type: 'boolean' }, 'no-analytics': { type: 'boolean' } }),
  })
  if (values.help) return { command: 'help', usage: UP_USAGE }
  const seedOption = (values as { seed?: string }).seed
  if (seedOption !== undefined && (values as { 'no-seed'?: boolean })['no-seed']) throw usageError('--seed and --no-seed exclude each other')
  const seed = command === 'studio' || (values as { 'no-seed'?: boolean })['no-seed'] ? false : (seedOption ?? defaultSeed ?? false)
  return {
    command,
    port: portOf(values.port, env) ?? 8080,
    host: values.host ?? '127.0.0.1',
    data: values.data ?? env.PLUGBOARD_DATA ?? 'data',
    databaseUrl: env.DATABASE_URL || undefined,
    seed,
    analytics: !(values as { 'no-analytics'?: boolean })['no-analytics'],
  }
}

function configCommand(args: string[], env: NodeJS.ProcessEnv): Command {
  const [action, ...rest] = args
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') return { command: 'help', usage: CONFIG_USAGE }
  if (action !== 'export' && action !== 'apply') throw usageError(`unknown config command "${action}"; plugboard config export | apply FILE`)
  const { values, positionals } = parse(
    rest,
    {
      url: { type: 'string' },
      token: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'with-secrets': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  )
  if (values.help) return { command: 'help', usage: CONFIG_USAGE }
  const target: StudioTarget = {
    url: (values.url ?? env.PLUGBOARD_URL ?? `http://127.0.0.1:${portOf(undefined, env) ?? 8080}`).replace(/\/+$/, ''),
    token: values.token ?? env.PLUGBOARD_TOKEN ?? env.PLUGBOARD_ADMIN_TOKEN,
  }
  if (action === 'export') {
    if (positionals.length) throw usageError(`plugboard config export takes no file: write it with --output FILE or > FILE`)
    if (values['dry-run']) throw usageError('--dry-run is for plugboard config apply')
    return { command: 'config-export', withSecrets: values['with-secrets'] ?? false, output: values.output, ...target }
  }
  if (positionals.length !== 1) throw usageError('plugboard config apply needs one FILE')
  if (values['with-secrets'] || values.output) throw usageError('--with-secrets and --output are for plugboard config export')
  return { command: 'config-apply', file: positionals[0]!, dryRun: values['dry-run'] ?? false, ...target }
}

/** --port, else PLUGBOARD_PORT, else undefined. */
function portOf(option: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  const text = option ?? env.PLUGBOARD_PORT
  if (text === undefined) return undefined
  const port = Number(text)
  const from = option === undefined ? 'PLUGBOARD_PORT' : '--port'
  if (!/^\d+$/.test(text) || port > 65535) throw usageError(`${from} must be a port number from 0 to 65535, not "${text}"`)
  return port
}
