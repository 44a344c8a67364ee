#!/usr/bin/env node
import { parseArgs } from 'node:util'
import pino from 'pino'
import { Gateway, yamlFileSource } from '@plugboard/gateway'

const USAGE = `Usage: plugboard <command> [options]

Commands:
  gateway --config FILE [--port N] [--host ADDR]   run the gateway alone from a YAML config

Environment: PLUGBOARD_PORT (default port), LOG_LEVEL (info), PLUGBOARD_MASTER_KEY (decrypts vendor keys).`

async function gateway(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } })
  if (!values.config) throw new Error(`plugboard gateway needs --config FILE\n\n${USAGE}`)
  // Asynchronous: under load, lines written while a write is in flight leave together instead of a
  // write(2) per request; pino flushes what is left when the process exits.
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: 1, sync: false }))
  const port = values.port ?? process.env.PLUGBOARD_PORT
  const listen = { host: values.host, port: port === undefined ? undefined : Number(port) }
  const running = await Gateway.start({ source: yamlFileSource(values.config), logger, listen })
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

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'gateway') await gateway(rest)
  else {
    process.stderr.write(`${command ? `unknown command "${command}"\n\n` : ''}${USAGE}\n`)
    process.exit(command ? 1 : 0)
  }
} catch (error) {
  const code = (error as { code?: string }).code
  process.stderr.write(`plugboard: ${code ? `${code}: ` : ''}${(error as Error).message}\n`)
  process.exit(1)
}
