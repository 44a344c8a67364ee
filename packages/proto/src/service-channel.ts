import { makeGenericClientConstructor } from '@grpc/grpc-js'
import {
  ServiceApiClient as GeneratedServiceApiClient,
  ServiceApiService as GeneratedServiceApiService,
  ServiceFrame,
  ServiceMessage,
} from './gen/plugboard/service/v1/service.js'
import { CHANNEL_FRAME_LIMIT, encodeFrames, frameSerializer, type EncodedFrames } from './frames.js'
import { SERVICE_API_METHOD_SCOPES } from './scopes.js'
import { STREAM_SERVICE_METHODS, type UnaryServiceMethod } from './service-api.js'

/**
 * Messages one Service API channel frame may carry. A sender splits longer
 * batches; a host refuses the messages past it (SERVICE_TOO_MANY_CALLS), as it
 * refuses calls past its in-flight limit, so a frame cannot queue unbounded work.
 */
export const SERVICE_FRAME_MAX_MESSAGES = 256

/** Encodes a Service API channel frame with one shared writer (see `frameSerializer`). */
export const serializeServiceFrame: (frame: ServiceFrame) => Buffer = frameSerializer(ServiceFrame)

/** Encodes channel messages into frames within `limit` bytes and {@link SERVICE_FRAME_MAX_MESSAGES} messages each (see `encodeFrames`). */
export function encodeServiceFrames(messages: ServiceMessage[], limit: number = CHANNEL_FRAME_LIMIT): EncodedFrames<ServiceMessage> {
  const result: EncodedFrames<ServiceMessage> = { frames: [], tooLarge: [], unencodable: [] }
  for (let start = 0; start < messages.length; start += SERVICE_FRAME_MAX_MESSAGES) {
    const part = encodeFrames(messages.slice(start, start + SERVICE_FRAME_MAX_MESSAGES), { serialize: serializeServiceFrame, message: ServiceMessage }, limit)
    result.frames.push(...part.frames)
    result.tooLarge.push(...part.tooLarge)
    result.unencodable.push(...part.unencodable)
  }
  return result
}

/** A channel end writes frames it encoded itself (`encodeServiceFrames`, to keep each call's failure its own); others are encoded here. */
const passEncoded = (frame: ServiceFrame | Buffer): Buffer => (Buffer.isBuffer(frame) ? frame : serializeServiceFrame(frame))

/** The Service API with its channel's frames passed through when already encoded; hosts and plugins use this one. */
export const ServiceApiService = {
  ...GeneratedServiceApiService,
  channel: { ...GeneratedServiceApiService.channel, requestSerialize: passEncoded, responseSerialize: passEncoded },
} satisfies typeof GeneratedServiceApiService

export const ServiceApiClient = makeGenericClientConstructor(ServiceApiService, 'plugboard.service.v1.ServiceApi') as unknown as typeof GeneratedServiceApiClient

const UNARY_METHODS = new Set<string>(Object.keys(SERVICE_API_METHOD_SCOPES).filter((method) => !(STREAM_SERVICE_METHODS as readonly string[]).includes(method)))

/** Whether a channel message names a unary Service API method (the ones the channel carries). */
export function isUnaryServiceMethod(method: string): method is UnaryServiceMethod {
  return UNARY_METHODS.has(method)
}

type Definition = typeof GeneratedServiceApiService
type Codec = { requestSerialize(value: unknown): Buffer; requestDeserialize(bytes: Buffer): unknown; responseSerialize(value: unknown): Buffer; responseDeserialize(bytes: Buffer): unknown }

/** A unary method's request and response encoding, as its unary call uses it: a channel message's body is that method's own message. */
export function serviceMethodCodec(method: UnaryServiceMethod): Codec {
  return GeneratedServiceApiService[method] as Definition[UnaryServiceMethod] as unknown as Codec
}
