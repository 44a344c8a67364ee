import { makeGenericClientConstructor } from '@grpc/grpc-js'
import {
  HookFrame,
  HookMessage,
  PluginClient as GeneratedPluginClient,
  PluginService as GeneratedPluginService,
} from './gen/plugboard/plugin/v1/plugin.js'
import { CHANNEL_FRAME_LIMIT, encodeFrames, frameSerializer, type EncodedFrames } from './frames.js'

/** Encodes a hook-channel frame with one shared writer (see `frameSerializer`). */
export const serializeHookFrame: (frame: HookFrame) => Buffer = frameSerializer(HookFrame)

/** The largest frame either end of a plugin connection sends or accepts (gRPC's message limit). */
export const HOOK_FRAME_LIMIT = CHANNEL_FRAME_LIMIT

/** What `encodeHookFrames` made of a batch of messages. */
export type EncodedHookFrames = EncodedFrames<HookMessage>

/** Encodes hook-channel messages into frames within `limit` (see `encodeFrames`). */
export function encodeHookFrames(messages: HookMessage[], limit: number = HOOK_FRAME_LIMIT): EncodedHookFrames {
  return encodeFrames(messages, { serialize: serializeHookFrame, message: HookMessage }, limit)
}

/** The Plugin service with the hook channel's frames encoded by `serializeHookFrame`; hosts and plugins use this one. */
export const PluginService = {
  ...GeneratedPluginService,
  hookChannel: { ...GeneratedPluginService.hookChannel, requestSerialize: serializeHookFrame, responseSerialize: serializeHookFrame },
} satisfies typeof GeneratedPluginService

export const PluginClient = makeGenericClientConstructor(PluginService, 'plugboard.plugin.v1.Plugin') as unknown as typeof GeneratedPluginClient
