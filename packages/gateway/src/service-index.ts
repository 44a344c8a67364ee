import { readFileSync } from 'node:fs'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

/**
 * What `GET /` answers: which gateway this is and where to go next, so a
 * newcomer's first request (a browser, `curl`) tells them what the server offers.
 * The same object every time; nothing in it depends on the config.
 */
export const SERVICE_INDEX = {
  name: 'plugboard-gateway',
  version,
  links: {
    health: '/health',
    ready: '/ready',
    metrics: '/metrics',
    models: '/v1/models',
    chatCompletions: '/v1/chat/completions',
    embeddings: '/v1/embeddings',
    anthropicMessages: '/v1/messages',
    responses: '/v1/responses',
    pinnedLlm: '/llm/{slug}/v1/...',
    pluginEndpoints: '/plugins/{name}/...',
  },
  docs: 'Routes, config format, metrics and error codes: packages/gateway/README.md in the Plugboard repository. /v1/* needs an app key: "Authorization: Bearer <key>" or "x-api-key: <key>".',
} as const
