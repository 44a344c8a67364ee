import { makeGenericClientConstructor } from '@grpc/grpc-js'
import { BinaryWriter } from '@bufbuild/protobuf/wire'
import {
  HookFrame,
  HookMessage,
  PluginClient as GeneratedPluginClient,
  PluginService as GeneratedPluginService,
} from './gen/plugboard/plugin/v1/plugin.js'
import { PLUGIN_CHANNEL_OPTIONS } from './mtls.js'

/**
 * One writer for every hook-channel frame. The generated serializer starts a
 * fresh writer per frame, regrows its buffer from nothing and copies the result
 * twice: half the cost of encoding a hook call (6 µs of 12 for a pre-auth
 * frame). Encoding is synchronous, so sharing the writer is safe.
 */
const frameWriter = new BinaryWriter()

export function serializeHookFrame(frame: HookFrame): Buffer {
  try {
    const bytes = HookFrame.encode(frame, frameWriter).finish()
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  } catch (error) {
    frameWriter.finish()
    throw error
  }
}

/** The largest frame either end of a plugin connection sends or accepts (gRPC's message limit). */
export const HOOK_FRAME_LIMIT = Math.min(PLUGIN_CHANNEL_OPTIONS['grpc.max_send_message_length'], PLUGIN_CHANNEL_OPTIONS['grpc.max_receive_message_length'])

/**
 * Encodes hook-channel messages into frames the peer accepts. Usually they fit
 * one frame and are encoded once. Otherwise each is encoded alone to learn its
 * size, and they go in as many frames as needed, each within `limit`; a message
 * that fits no frame is returned in `tooLarge`, for its sender to fail that one
 * call. A frame over gRPC's limit would otherwise end the whole stream
 * (RESOURCE_EXHAUSTED), failing every call on it.
 */
export function encodeHookFrames(messages: HookMessage[], limit: number = HOOK_FRAME_LIMIT): { frames: Buffer[]; tooLarge: HookMessage[] } {
  const whole = serializeHookFrame({ messages })
  if (whole.length <= limit) return { frames: [whole], tooLarge: [] }
  const frames: Buffer[] = []
  const tooLarge: HookMessage[] = []
  let group: HookMessage[] = []
  let groupBytes = 0
  const flush = () => {
    if (group.length > 0) frames.push(serializeHookFrame({ messages: group }))
    group = []
    groupBytes = 0
  }
  for (const message of messages) {
    const size = HookMessage.encode(message).finish().byteLength
    // In a frame, each message is field 1 (one tag byte) with its length as a varint (at most 5 bytes).
    const entryBytes = size + 6
    if (entryBytes > limit) {
      tooLarge.push(message)
      continue
    }
    if (groupBytes + entryBytes > limit) flush()
    group.push(message)
    groupBytes += entryBytes
  }
  flush()
  return { frames, tooLarge }
}

/** The Plugin service with the hook channel's frames encoded by `serializeHookFrame`; hosts and plugins use this one. */
export const PluginService = {
  ...GeneratedPluginService,
  hookChannel: { ...GeneratedPluginService.hookChannel, requestSerialize: serializeHookFrame, responseSerialize: serializeHookFrame },
} satisfies typeof GeneratedPluginService

export const PluginClient = makeGenericClientConstructor(PluginService, 'plugboard.plugin.v1.Plugin') as unknown as typeof GeneratedPluginClient
