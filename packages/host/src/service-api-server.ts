import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js'
import {
  SERVICE_API_METHOD_SCOPES,
  authorizeServiceCall,
  isPlugboardError,
  servicev1,
  toGrpcError,
  type ServiceApiHandlers,
  type ServiceApiMethod,
  type ServiceCaller,
} from '@plugboard/proto'
import type { HostLogger } from './logger.js'

const GRPC_STATUS_BY_CODE: Record<string, GrpcStatus> = {
  SCOPE_DENIED: GrpcStatus.PERMISSION_DENIED,
  SERVICE_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  SERVICE_INVALID_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  SERVICE_NOT_FOUND: GrpcStatus.NOT_FOUND,
}

function grpcStatusOf(error: unknown): GrpcStatus {
  return (isPlugboardError(error) && GRPC_STATUS_BY_CODE[error.code]) || GrpcStatus.INTERNAL
}

/**
 * The Service API as a grpc-js service implementation for one plugin
 * connection. `caller` is fixed when the connection is made, so a plugin's
 * identity and scopes come from the connection, never from a request. Calls
 * outside the granted scopes fail with PERMISSION_DENIED (code SCOPE_DENIED)
 * before any handler runs, and are written to the audit log.
 */
export function serviceApiImplementation(handlers: ServiceApiHandlers, caller: ServiceCaller, logger: HostLogger): UntypedServiceImplementation {
  const audit = logger.child({ audit: true, plugin: caller.plugin })
  const authorize = (method: ServiceApiMethod): void => {
    try {
      authorizeServiceCall(method, caller)
    } catch (error) {
      audit.warn({ method, requiredScope: SERVICE_API_METHOD_SCOPES[method], granted: [...caller.scopes] }, 'service API call denied')
      throw error
    }
  }

  const implementation: UntypedServiceImplementation = {}
  for (const method of Object.keys(SERVICE_API_METHOD_SCOPES) as ServiceApiMethod[]) {
    if (method === 'subscribe') continue
    const handler = handlers[method] as (request: unknown, caller: ServiceCaller, signal: AbortSignal) => Promise<unknown>
    implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const controller = new AbortController()
      call.on('cancelled', () => controller.abort())
      Promise.resolve()
        .then(() => {
          authorize(method)
          return handler(call.request, caller, controller.signal)
        })
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcError(error, grpcStatusOf(error))),
        )
    }
  }
  const subscribe = async (call: ServerWritableStream<servicev1.SubscribeRequest, servicev1.Event>) => {
    const controller = new AbortController()
    call.on('cancelled', () => controller.abort())
    try {
      authorize('subscribe')
      for await (const event of handlers.subscribe(call.request, caller, controller.signal)) {
        if (!call.write(event)) await new Promise((resolve) => call.once('drain', resolve))
      }
      call.end()
    } catch (error) {
      if (!controller.signal.aborted) call.emit('error', toGrpcError(error, grpcStatusOf(error)))
    }
  }
  implementation.subscribe = subscribe as UntypedServiceImplementation[string]
  return implementation
}
