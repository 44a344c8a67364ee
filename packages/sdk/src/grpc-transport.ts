import type { ChannelCredentials, ClientReadableStream, Metadata } from '@grpc/grpc-js'
import { PLUGIN_CHANNEL_OPTIONS, callUnary, fromGrpcError, serviceApiCallMetadata, servicev1, type ServiceApiAccess } from '@plugboard/proto'
import type { ServiceApiTransport } from './services.js'

/**
 * Service API calls over gRPC, to the address the host announced through the
 * broker. `access` is what a host that did not launch this plugin sent with
 * Initialize: every call then carries its token.
 */
export function grpcServiceTransport(target: string, credentials: ChannelCredentials, access?: ServiceApiAccess): ServiceApiTransport & { close(): void } {
  const client = new servicev1.ServiceApiClient(target, credentials, PLUGIN_CHANNEL_OPTIONS)
  return {
    call(method, request, signal) {
      return callUnary(client, method, request as never, { signal, errorCode: 'SERVICE_CALL_FAILED', metadata: serviceApiCallMetadata(access) }) as never
    },
    async *stream(method, request, signal) {
      const open = client[method].bind(client) as (request: unknown, metadata: Metadata) => ClientReadableStream<unknown>
      const stream = open(request, serviceApiCallMetadata(access))
      const onAbort = () => stream.cancel()
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        for await (const message of stream) yield message as never
      } catch (error) {
        if (!signal.aborted) throw fromGrpcError(error, 'SERVICE_CALL_FAILED')
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
    close: () => client.close(),
  }
}
