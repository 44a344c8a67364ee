import type { ChannelCredentials, ClientReadableStream, Metadata } from '@grpc/grpc-js'
import { PLUGIN_CHANNEL_OPTIONS, ServiceApiClient, callUnary, fromGrpcError, serviceApiCallMetadata, type ServiceApiAccess } from '@plugboard/proto'
import { ServiceChannel, type UnaryServiceCall } from './service-channel.js'
import type { ServiceApiTransport } from './services.js'

/** How long unary calls stand in for a channel that broke, and for one the host does not implement, before a new one is tried. */
const REOPEN_AFTER_MS = { broken: 1000, unimplemented: 60_000 }

/**
 * Service API calls over gRPC, to the address the host announced through the
 * broker. Unary methods travel on the host's Service API channel (one stream,
 * many calls; see `ServiceChannel`), opened on the first call; while there is
 * none (the host has none, or it broke a moment ago), each call is its own RPC.
 * `access` is what a host that did not launch this plugin sent with
 * Initialize: every call, and the channel, then carry its token.
 */
export function grpcServiceTransport(target: string, credentials: ChannelCredentials, access?: ServiceApiAccess): ServiceApiTransport & { close(): void } {
  const client = new ServiceApiClient(target, credentials, PLUGIN_CHANNEL_OPTIONS)
  const unary: UnaryServiceCall = (method, request, signal) =>
    callUnary(client, method, request as never, { signal, errorCode: 'SERVICE_CALL_FAILED', metadata: serviceApiCallMetadata(access) })
  let channel: ServiceChannel | undefined
  let reopenAt = 0
  const openChannel = (): ServiceChannel | undefined => {
    if (channel?.open) return channel
    if (performance.now() < reopenAt) return undefined
    channel = new ServiceChannel(client.channel(serviceApiCallMetadata(access)) as never, {
      unary,
      onClosed: ({ unimplemented }) => void (reopenAt = performance.now() + REOPEN_AFTER_MS[unimplemented ? 'unimplemented' : 'broken']),
    })
    return channel
  }
  return {
    call(method, request, signal) {
      const open = openChannel()
      return (open ? open.call(method, request, signal) : unary(method, request, signal)) as never
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
    close: () => {
      reopenAt = Infinity
      channel?.close()
      client.close()
    },
  }
}
