import { describe, expect, it } from 'vitest'
import { isGatewayPath } from './gateway.js'
import { SERVICE_INDEX } from './service-index.js'

describe('isGatewayPath: what the gateway answers itself, the rest being for a server on its port (Studio)', () => {
  it('holds every route the service index lists, and their sub-paths', () => {
    for (const link of Object.values(SERVICE_INDEX.links)) {
      const path = link.replace('{slug}', 'mock').replace('{name}', 'rate-limiter').replace('...', 'x')
      expect(isGatewayPath(path), path).toBe(true)
    }
    expect(isGatewayPath('/v1/models/mock-gpt')).toBe(true)
    expect(isGatewayPath('/v1/messages/count_tokens')).toBe(true)
  })

  it("leaves the rest to the other server: its API, its pages, look-alike prefixes and the service index's /", () => {
    for (const path of ['/', '/api', '/api/v1/llms', '/sign-in', '/apps/1', '/assets/index-abc.js', '/v1x', '/llmx/a', '/healthz', '/pluginsx']) {
      expect(isGatewayPath(path), path).toBe(false)
    }
  })

  it("leaves a plugin's UI assets (/plugins/{slug}/ui/…) to Studio, its other paths staying custom endpoints", () => {
    for (const path of ['/plugins/rate-limit-dashboard/ui', '/plugins/rate-limit-dashboard/ui/', '/plugins/x/ui/assets/page.js']) expect(isGatewayPath(path), path).toBe(false)
    for (const path of ['/plugins/x/uix', '/plugins/x/mcp/ui', '/plugins/ui', '/plugins/ui/mcp']) expect(isGatewayPath(path), path).toBe(true)
  })
})
