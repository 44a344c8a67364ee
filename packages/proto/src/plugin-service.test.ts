import { describe, expect, it } from 'vitest'
import { HookFrame, PluginService as GeneratedPluginService } from './gen/plugboard/plugin/v1/plugin.js'
import { PluginService, serializeHookFrame } from './plugin-service.js'

const request = (body: string): HookFrame => ({
  messages: [
    {
      id: 7,
      deadlineMs: 1000,
      body: {
        $case: 'preAuth',
        value: {
          requestId: 'req-1',
          request: { method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(body), clientIp: '127.0.0.1' },
        },
      },
    },
  ],
})

describe('serializeHookFrame', () => {
  it('encodes exactly as the generated serializer does, for small and large frames in any order', () => {
    for (const size of [0, 10, 5000, 3, 70_000, 1]) {
      const frame = request('x'.repeat(size))
      expect(serializeHookFrame(frame).equals(GeneratedPluginService.hookChannel.requestSerialize(frame))).toBe(true)
    }
  })

  it('returns bytes that later frames do not overwrite', () => {
    const first = serializeHookFrame(request('first'))
    const copy = Buffer.from(first)
    serializeHookFrame(request('second, longer than the first'))
    expect(first.equals(copy)).toBe(true)
    expect(HookFrame.decode(first)).toEqual(HookFrame.decode(copy))
  })

  it('recovers after a frame that cannot be encoded', () => {
    const broken = { messages: [{ id: 1, deadlineMs: 0, body: { $case: 'preAuth', value: { requestId: 'r', request: { headers: 42 } } } }] } as unknown as HookFrame
    expect(() => serializeHookFrame(broken)).toThrow()
    const frame = request('after')
    expect(serializeHookFrame(frame).equals(GeneratedPluginService.hookChannel.requestSerialize(frame))).toBe(true)
  })

  it('is what the service definition uses on both ends', () => {
    expect(PluginService.hookChannel.requestSerialize).toBe(serializeHookFrame)
    expect(PluginService.hookChannel.responseSerialize).toBe(serializeHookFrame)
  })
})
