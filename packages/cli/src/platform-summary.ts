import type { GatewayConfig } from '@plugboard/gateway'
import type { FirstAdmin, Seeded } from '@plugboard/studio'
import { demoKeyOf } from './startup-summary.js'

export interface PlatformSummary {
  url: string
  /** Set for `up` (the gateway runs too). */
  config?: GatewayConfig
  database: string
  firstAdmin: FirstAdmin | undefined
  seeded: Seeded | undefined
  env: NodeJS.ProcessEnv
  logLevel: string
}

/**
 * What `plugboard up` / `plugboard studio` print once they listen: the URLs (dashboard, admin API, gateway),
 * the admin login, the demo key and a curl that works. A generated password
 * or key is shown only on the start that made it.
 */
export function platformSummary(summary: PlatformSummary): string {
  const { url, config, firstAdmin, seeded } = summary
  const admin = firstAdmin
    ? [`  Admin     ${firstAdmin.email}  password: ${firstAdmin.generatedPassword ?? '(PLUGBOARD_ADMIN_PASSWORD)'}${firstAdmin.generatedPassword ? '   <- shown this once' : ''}`]
    : ['  Admin     sign in with the admin created on first start']
  const lines = [`Plugboard ${config ? 'is up' : 'Studio is up'} on ${url}  (database: ${summary.database})`, '', ...admin]
  if (firstAdmin?.token) lines.push('  Token     PLUGBOARD_ADMIN_TOKEN is the admin\'s API token: Authorization: Bearer $PLUGBOARD_ADMIN_TOKEN')
  lines.push(`  Dashboard ${url}/  (sign in with the admin above)`)
  lines.push(`  Admin API ${url}/api/v1  (OpenAPI: ${url}/api/v1/openapi.json; sign in: POST ${url}/api/v1/auth/login)`)
  if (config) {
    const demoKey = seeded?.demoKey ?? demoKeyOf(config, summary.env)
    const model = config.llms[0]?.models[0] ?? 'MODEL'
    lines.push(`  Gateway   ${url}/v1  (OpenAI API)  ${config.llms.map((llm) => `${llm.slug}: ${llm.models.join(', ')}`).join('; ') || 'no LLMs yet'}`)
    lines.push(`  Plugins   ${config.plugins.length ? config.plugins.map((plugin) => plugin.name).join(', ') : 'none'}`)
    lines.push(`  Demo key  ${demoKey ?? '(the one printed on first start, or set PLUGBOARD_DEMO_KEY)'}${seeded?.generated ? '   <- shown this once' : ''}`)
    lines.push('', 'Try it:', `  curl ${url}/v1/chat/completions \\`)
    lines.push(`    -H 'authorization: Bearer ${demoKey ?? '<an app key>'}' -H 'content-type: application/json' \\`)
    lines.push(`    -d '${JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello from Plugboard' }] })}'`)
  }
  lines.push('', `Logs: level ${summary.logLevel}, as JSON lines. Ctrl-C stops.`, '')
  return lines.join('\n')
}
