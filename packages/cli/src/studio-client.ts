import { PlugboardError } from '@plugboard/proto'
import type { StudioTarget } from './command-line.js'

/**
 * Calls Studio's admin API as `plugboard config` does; a Studio error keeps
 * its code. An answer that is not of the `accept` type (something other than
 * Studio listens at --url) is CLI_STUDIO_UNREACHABLE.
 */
export async function studioRequest(target: StudioTarget, path: string, accept: 'json' | 'yaml', init: { method?: string; body?: unknown } = {}): Promise<Response> {
  if (!target.token) throw new PlugboardError('CLI_INVALID_USAGE', 'an admin API token is needed: --token TOKEN, or PLUGBOARD_TOKEN / PLUGBOARD_ADMIN_TOKEN')
  let response: Response
  try {
    response = await fetch(`${target.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${target.token}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(60_000),
    })
  } catch (cause) {
    throw new PlugboardError('CLI_STUDIO_UNREACHABLE', `Studio at ${target.url} cannot be reached (${(cause as Error).cause ?? (cause as Error).message}); is plugboard up running? (--url)`, { cause })
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined
    throw new PlugboardError(body?.error?.code ?? 'CLI_STUDIO_UNREACHABLE', body?.error?.message ?? `Studio answered ${response.status}`)
  }
  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith(`application/${accept}`)) {
    await response.body?.cancel()
    throw new PlugboardError('CLI_STUDIO_UNREACHABLE', `${target.url} answered ${path} with ${type || 'no content type'}, not Studio's ${accept}: is --url Studio?`)
  }
  return response
}
