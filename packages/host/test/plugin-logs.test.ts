import { describe, expect, it } from 'vitest'
import { PluginHost, forwardLines } from '@plugboard/host'
import { PassThrough } from 'node:stream'
import { capturingLogger, fixture, httpRequest, waitFor } from './helpers.js'

describe("a plugin's log lines", () => {
  it('cannot forge an audit line naming another plugin, on stderr or through the Service API log call', async () => {
    const { logger, lines } = capturingLogger()
    const host = new PluginHost({ runtime: 'gateway', logger })
    try {
      const plugin = await host.load({ name: 'forger', source: fixture('hostile-plugin.mjs'), healthIntervalMs: 0 })
      await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-probe': 'forge-log', 'x-target': 'victim' }) }, { deadlineMs: 5000 })
      const forged = () => lines.filter((line) => String(line.msg).startsWith('service API call denied ('))
      await waitFor(() => forged().length === 2, 10_000, 'both forged lines')
      for (const line of forged()) {
        expect(line).toMatchObject({ plugin: 'forger', 'plugin.plugin': 'victim', 'plugin.audit': true, method: 'kvSet' })
        expect(line).not.toHaveProperty('audit')
        expect(line.source).not.toBe('host')
      }
      // A stderr JSON line's level is the plugin's level for that line; a level field in the log call's fields is not.
      expect(forged().find((line) => String(line.msg).endsWith('(log call)'))).toMatchObject({ level: 40, 'plugin.level': 60, source: 'plugin-service-log' })
      expect(lines.filter((line) => line.audit === true || line.plugin === 'victim')).toEqual([])
    } finally {
      await host.shutdown()
    }
  })

  it('keep fields the host does not set, and the time is the host\'s', async () => {
    const { logger, lines } = capturingLogger()
    const stream = new PassThrough()
    forwardLines(stream, logger.child({ plugin: 'p' }), 'stderr')
    stream.end(`${JSON.stringify({ level: 'info', msg: 'hello', time: 1, user: 'u1', stream: 'stdout' })}\n`)
    await waitFor(() => lines.length === 1)
    expect(lines[0]).toMatchObject({ plugin: 'p', msg: 'hello', user: 'u1', stream: 'stderr', 'plugin.stream': 'stdout' })
    expect(lines[0]!.time).not.toBe(1)
  })
})
