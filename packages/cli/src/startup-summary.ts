import { hashApiKey, type GatewayConfig } from '@plugboard/gateway'

/** The key examples/gateway.yaml gives its demo app when PLUGBOARD_DEMO_KEY is not set. */
export const DEFAULT_DEMO_KEY = 'pb-demo-key-0123456789'

/**
 * The app key to show in the summary's curl: the demo key, if the config
 * accepts it (from PLUGBOARD_DEMO_KEY or the default one). Keys in the config
 * are hashed, so no other key can be shown, and none is guessed.
 */
export function demoKeyOf(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  const hashes = new Set(config.apps.flatMap((app) => app.keys.filter((key) => !key.revoked).map((key) => key.hash)))
  return [env.PLUGBOARD_DEMO_KEY, DEFAULT_DEMO_KEY].find((key) => key !== undefined && hashes.has(hashApiKey(key)))
}

/**
 * What the gateway prints on a terminal once it listens: where it is, what it
 * serves, and one request to try. Plain text; logs follow it.
 *
 * @example
 * process.stdout.write(startupSummary({ url: gateway.url, config, demoKey: demoKeyOf(config, process.env) }))
 */
export function startupSummary({ url, config, demoKey, logLevel }: { url: string; config: GatewayConfig; demoKey?: string; logLevel: string }): string {
  const model = config.llms[0]?.models[0] ?? 'MODEL'
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello, I am ada@example.com' }] })
  const lines = [
    `Plugboard gateway listening on ${url}`,
    '',
    ...(config.llms.length ? config.llms : [undefined]).map(
      (llm, i) => `${i === 0 ? '  LLMs      ' : '            '}${llm ? `${llm.slug} (${llm.vendor}): ${llm.models.join(', ')}` : 'none'}`,
    ),
    `  Plugins   ${config.plugins.length ? config.plugins.map((plugin) => plugin.name).join(', ') : 'none'}`,
    `  Routes    /v1/chat/completions  /v1/embeddings  /v1/models  /plugins/NAME/...  /health  /ready  /metrics`,
    '',
    'Try it (-i shows the headers the plugins add):',
    `  curl -i ${url}/v1/chat/completions \\`,
    `    -H 'authorization: Bearer ${demoKey ?? '<an app key from the config>'}' -H 'content-type: application/json' \\`,
    `    -d '${body}'`,
    '',
    `Logs: level ${logLevel}, as JSON lines${logLevel === 'info' ? '' : ' (LOG_LEVEL=info for one line per request)'}. Ctrl-C stops.`,
    '',
  ]
  return lines.join('\n')
}
