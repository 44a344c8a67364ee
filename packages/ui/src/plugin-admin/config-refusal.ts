import type { PluginStatusItem } from '@plugboard/studio/api-types'
import { pluginsApi } from '../api/plugins-api'

type StatusError = PluginStatusItem['lastErrors'][number]

const keyOf = (error: StatusError) => `${error.at} ${error.runtime} ${error.code} ${error.message}`
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })

/**
 * Studio stores a config its schema allows and the running plugin is then
 * restarted with it; the plugin may still refuse it (its Initialize), and
 * keeps running with the one before. This watches the plugin's status for a
 * while after a save and answers the first error it reports that was not
 * there before (`before`: its errors as read just before saving).
 */
export async function watchForRefusal(name: string, before: readonly StatusError[], signal: AbortSignal, options = { tries: 20, everyMs: 250 }): Promise<StatusError | undefined> {
  const seen = new Set(before.map(keyOf))
  for (let i = 0; i < options.tries; i++) {
    await pause(options.everyMs, signal)
    if (signal.aborted) return undefined
    const status = await pluginsApi.status(name)
    const fresh = status.lastErrors.find((error) => !seen.has(keyOf(error)))
    if (fresh) return fresh
  }
  return undefined
}
