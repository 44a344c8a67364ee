import { parseArgs } from 'node:util'
import { usageError } from './errors.js'

/** `plugboard --help`. */
export const USAGE = `Usage: plugboard <command> [options]

Plugboard: an OpenAI-compatible AI gateway whose requests flow through plugins.

Commands:
  gateway      run the gateway from a YAML config (plugboard gateway --help)
  help         show this help

Options:
  -h, --help     show help (plugboard <command> --help: that command's)
  -v, --version  print the version

Example:
  plugboard gateway --config examples/gateway.yaml

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

/** What the command line asks for. */
export type Command =
  | { command: 'help'; usage: string }
  | { command: 'version' }
  | { command: 'gateway'; config: string; port?: number; host?: string }

/**
 * Parses `argv` (without node and the script). Throws CLI_INVALID_USAGE for
 * an unknown command or option, or a missing or malformed value.
 *
 * @example
 * parseCommandLine(['gateway', '--config', 'gateway.yaml', '--port', '8080'])
 * // { command: 'gateway', config: 'gateway.yaml', port: 8080 }
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Command {
  const [command, ...args] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help', usage: USAGE }
  if (command === '--version' || command === '-v') return { command: 'version' }
  if (command !== 'gateway') {
    throw usageError(command.startsWith('-') ? `unknown option "${command}"` : `unknown command "${command}"; the commands are: gateway, help`)
  }
  const { values } = gatewayOptions(args)
  if (values.help) return { command: 'help', usage: GATEWAY_USAGE }
  if (!values.config) throw usageError('plugboard gateway needs --config FILE (e.g. --config examples/gateway.yaml)')
  const port = values.port ?? env.PLUGBOARD_PORT
  return { command: 'gateway', config: values.config, port: port === undefined ? undefined : portNumber(port, values.port === undefined ? 'PLUGBOARD_PORT' : '--port'), host: values.host }
}

function gatewayOptions(args: string[]) {
  const options = {
    config: { type: 'string', short: 'c' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false })
  } catch (cause) {
    // Node's wording is clear ("Unknown option '--prot'"); the code and exit status are ours.
    throw usageError((cause as Error).message)
  }
}

function portNumber(text: string, from: string): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw usageError(`${from} must be a port number from 0 to 65535, not "${text}"`)
  return port
}
