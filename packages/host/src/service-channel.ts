import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js'
import {
  CHANNEL_FRAME_LIMIT,
  SERVICE_API_ERRORS,
  SERVICE_FRAME_MAX_MESSAGES,
  encodeServiceFrames,
  isPlugboardError,
  isUnaryServiceMethod,
  serviceErrorStatus,
  serviceMethodCodec,
  servicev1,
  whenChannelCloses,
  type ServiceApiErrorCode,
  type UnaryServiceMethod,
} from '@plugboard/proto'

/** Runs one unary Service API call as its unary RPC does: admitted (scope, rate and in-flight limits), handled, released. */
export type ServiceCallRunner = (method: UnaryServiceMethod, request: unknown, signal: AbortSignal) => Promise<unknown>

/**
 * The host's end of a plugin's Service API channel: each message names a
 * unary method and runs through `run`, the path its unary RPC takes, so it is
 * checked and limited exactly as that call would be; calls run concurrently
 * and answer by id. A cancel message aborts its call's signal, and no answer
 * follows. A message that names no unary method, or whose body does not decode,
 * fails alone with SERVICE_INVALID_REQUEST; the messages of a frame past
 * {@link SERVICE_FRAME_MAX_MESSAGES} fail with SERVICE_TOO_MANY_CALLS. Answers
 * given while other calls still run wait for the end of the event-loop turn and
 * share a frame; one too large for a frame fails with SERVICE_MESSAGE_TOO_LARGE.
 * When the plugin ends the stream, or it breaks, every call still running is aborted.
 *
 * Frames are written encoded: the stream's serializer passes them through (see `ServiceApiService`).
 */
export function serveServiceChannel(stream: ServerDuplexStream<servicev1.ServiceFrame, Buffer>, run: ServiceCallRunner): void {
  const inFlight = new Map<number, AbortController>()
  let outgoing: servicev1.ServiceMessage[] = []
  let flushScheduled = false

  const answer = (message: servicev1.ServiceMessage) => {
    outgoing.push(message)
    if (flushScheduled) return
    flushScheduled = true
    // With other calls still running, wait for the end of the event-loop turn so their answers share the frame.
    ;(inFlight.size > 0 ? setImmediate : queueMicrotask)(flush)
  }
  const fail = (id: number, code: ServiceApiErrorCode | '', message: string, grpcStatus: GrpcStatus = SERVICE_API_ERRORS[code as ServiceApiErrorCode]?.grpc ?? GrpcStatus.INTERNAL) =>
    answer({ id, method: '', body: Buffer.alloc(0), error: { code, message, grpcStatus }, cancel: false })
  const flush = () => {
    flushScheduled = false
    const messages = outgoing
    outgoing = []
    if (stream.destroyed || stream.writableEnded) return
    const { frames, tooLarge, unencodable } = encodeServiceFrames(messages)
    for (const frame of frames) stream.write(frame)
    for (const { id } of tooLarge) fail(id, 'SERVICE_MESSAGE_TOO_LARGE', `the response is larger than the Service API channel's ${CHANNEL_FRAME_LIMIT}-byte frame limit; ask for less`)
    for (const { message, error } of unencodable) fail(message.id, '', `the response could not be encoded: ${error.message}`)
  }

  const serve = async (id: number, method: UnaryServiceMethod, request: unknown) => {
    const controller = new AbortController()
    inFlight.set(id, controller)
    try {
      const response = await run(method, request, controller.signal)
      if (!controller.signal.aborted) answer({ id, method: '', body: serviceMethodCodec(method).responseSerialize(response), cancel: false })
    } catch (error) {
      // Codes travel as the unary call's trailer carries them: none for an error that is not a PlugboardError.
      if (!controller.signal.aborted) {
        fail(id, isPlugboardError(error) ? (error.code as ServiceApiErrorCode) : '', error instanceof Error ? error.message : String(error), serviceErrorStatus(error))
      }
    } finally {
      inFlight.delete(id)
    }
  }

  stream.on('data', (frame: servicev1.ServiceFrame) => {
    frame.messages.forEach(({ id, method, body, cancel }, index) => {
      if (cancel) return inFlight.get(id)?.abort()
      if (index >= SERVICE_FRAME_MAX_MESSAGES) return fail(id, 'SERVICE_TOO_MANY_CALLS', `a Service API channel frame carries at most ${SERVICE_FRAME_MAX_MESSAGES} calls; send the rest in another`)
      if (!isUnaryServiceMethod(method)) return fail(id, 'SERVICE_INVALID_REQUEST', `"${method}" is not a unary Service API method; the channel carries only those`)
      if (inFlight.has(id)) return fail(id, 'SERVICE_INVALID_REQUEST', `call id ${id} is already in flight on this channel; ids must be unique`)
      let request: unknown
      try {
        request = serviceMethodCodec(method).requestDeserialize(body)
      } catch (error) {
        return fail(id, 'SERVICE_INVALID_REQUEST', `the ${method} request does not decode: ${error instanceof Error ? error.message : String(error)}`)
      }
      void serve(id, method, request)
    })
  })
  whenChannelCloses(stream, () => {
    for (const controller of inFlight.values()) controller.abort()
    inFlight.clear()
  })
}
