import { Metadata, type ChannelCredentials, type ClientReadableStream } from '@grpc/grpc-js'
import { PLUGIN_CHANNEL_OPTIONS, callUnary, fromGrpcError, servicev1 } from '@plugboard/proto'
import type { ServiceApiTransport } from './services.js'

/** Service API calls over gRPC, to the address the host announced through the broker. */
export function grpcServiceTransport(target: string, credentials: ChannelCredentials): ServiceApiTransport & { close(): void } {
  const client = new servicev1.ServiceApiClient(target, credentials, PLUGIN_CHANNEL_OPTIONS)
  return {
    call(method, request, signal) {
      return callUnary(client, method, request as never, { signal, errorCode: 'SERVICE_CALL_FAILED' }) as never
    },
    async *subscribe(request, signal) {
      const stream: ClientReadableStream<servicev1.Event> = client.subscribe(request, new Metadata())
      const onAbort = () => stream.cancel()
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        for await (const event of stream) yield event as servicev1.Event
      } catch (error) {
        if (!signal.aborted) throw fromGrpcError(error, 'SERVICE_CALL_FAILED')
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
    close: () => client.close(),
  }
}
