import { Metadata, type CallOptions, type Client, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js'
import { PlugboardError, fromGrpcError } from './errors.js'

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall

/** Keys of a generated client whose value is a unary call taking `Req`. */
type UnaryKeys<C> = {
  [K in keyof C]: C[K] extends UnaryMethod<infer _Req, infer _Res> ? K : never
}[keyof C]

type RequestOfClient<C, K extends keyof C> = C[K] extends UnaryMethod<infer Req, infer _Res> ? Req : never
type ResponseOfClient<C, K extends keyof C> = C[K] extends UnaryMethod<infer _Req, infer Res> ? Res : never

export interface UnaryCallOptions {
  signal?: AbortSignal
  /** Absolute deadline for the call. */
  deadline?: Date
  metadata?: Metadata
  /** Code of the PlugboardError thrown when the peer sent no code of its own. */
  errorCode: string
}

/**
 * Calls a unary method of a generated grpc-js client as a promise. Aborting
 * `signal` cancels the call; the peer's PlugboardError code is restored from
 * the trailers (see `toGrpcError`).
 */
export function callUnary<C extends Client, K extends UnaryKeys<C>>(
  client: C,
  method: K,
  request: RequestOfClient<C, K>,
  options: UnaryCallOptions,
): Promise<ResponseOfClient<C, K>> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new PlugboardError('CALL_CANCELLED', `${String(method)} was cancelled before it started`, { cause: options.signal.reason }))
      return
    }
    const fn = client[method] as unknown as UnaryMethod<RequestOfClient<C, K>, ResponseOfClient<C, K>>
    const callOptions: Partial<CallOptions> = options.deadline ? { deadline: options.deadline } : {}
    const metadata = options.metadata ?? new Metadata()
    const onAbort = () => call.cancel()
    const call = fn.call(client, request, metadata, callOptions, (error, response) => {
      options.signal?.removeEventListener('abort', onAbort)
      if (error) reject(fromGrpcError(error, options.errorCode))
      else resolve(response)
    })
    options.signal?.addEventListener('abort', onAbort, { once: true })
  })
}
