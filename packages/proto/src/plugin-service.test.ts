import { describe, expect, it } from 'vitest'
import { HookFrame, type HookMessage, PluginService as GeneratedPluginService } from './gen/plugboard/plugin/v1/plugin.js'
import { PluginService, encodeHookFrames, serializeHookFrame } from './plugin-service.js'

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

describe('encodeHookFrames', () => {
  const message = (id: number, size: number) => request('x'.repeat(size)).messages.map((m) => ({ ...m, id }))[0]!

  it('encodes messages that fit in one frame, as serializeHookFrame does', () => {
    const messages = [message(1, 10), message(2, 20)]
    const { frames, tooLarge } = encodeHookFrames(messages, 1000)
    expect(tooLarge).toEqual([])
    expect(frames).toHaveLength(1)
    expect(frames[0]!.equals(serializeHookFrame({ messages }))).toBe(true)
  })

  it('splits messages over the limit into frames within it, in order, and sets aside one that fits no frame', () => {
    const messages = [message(1, 400), message(2, 400), message(3, 5000), message(4, 400)]
    const { frames, tooLarge } = encodeHookFrames(messages, 1000)
    expect(tooLarge.map((m) => m.id)).toEqual([3])
    expect(frames.every((frame) => frame.length <= 1000)).toBe(true)
    expect(frames.flatMap((frame) => HookFrame.decode(frame).messages.map((m) => m.id))).toEqual([1, 2, 4])
    expect(frames.length).toBeGreaterThan(1)
  })

  it('sets aside a lone message too large for a frame', () => {
    const lone = message(1, 5000)
    expect(encodeHookFrames([lone], 1000)).toEqual({ frames: [], tooLarge: [lone], unencodable: [] })
  })

  it('sets aside a message that cannot be encoded, and sends the others', () => {
    const broken = { id: 2, deadlineMs: 0, body: { $case: 'preAuth', value: { requestId: 'r', request: { headers: 42 } } } } as unknown as HookMessage
    const { frames, tooLarge, unencodable } = encodeHookFrames([message(1, 10), broken, message(3, 10)], 1000)
    expect(unencodable.map(({ message: m }) => m.id)).toEqual([2])
    expect(unencodable[0]!.error).toBeInstanceOf(Error)
    expect(tooLarge).toEqual([])
    expect(frames.flatMap((frame) => HookFrame.decode(frame).messages.map((m) => m.id))).toEqual([1, 3])
  })
})
