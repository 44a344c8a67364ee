import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js'

/**
 * The error every Plugboard package throws: a stable machine-readable `code`
 * and a message that says what failed and what to do next.
 * Check errors by `code` (see {@link isPlugboardError}), not `instanceof`,
 * which breaks across duplicate package copies.
 */
export class PlugboardError<C extends string = string> extends Error {
  override readonly name = 'PlugboardError'
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isPlugboardError(value: unknown): value is PlugboardError {
  return (
    value instanceof Error &&
    value.name === 'PlugboardError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/** Trailer that carries a PlugboardError's code across a gRPC call. */
export const ERROR_CODE_METADATA_KEY = 'plugboard-error-code'

/**
 * Turns an error into a gRPC status for the peer, keeping a PlugboardError's
 * code in the trailers so {@link fromGrpcError} can rebuild it.
 */
export function toGrpcError(error: unknown, grpcCode: GrpcStatus = GrpcStatus.UNKNOWN): Partial<ServiceError> {
  const metadata = new Metadata()
  const message = error instanceof Error ? error.message : String(error)
  if (isPlugboardError(error)) metadata.set(ERROR_CODE_METADATA_KEY, error.code)
  return { code: grpcCode, details: message, metadata }
}

/** Rebuilds the PlugboardError a peer sent, or wraps a plain gRPC failure under `fallbackCode`. */
export function fromGrpcError(error: unknown, fallbackCode: string): PlugboardError {
  const serviceError = error as Partial<ServiceError>
  const code = serviceError.metadata?.get(ERROR_CODE_METADATA_KEY)[0]
  const message = serviceError.details ?? (error instanceof Error ? error.message : String(error))
  return new PlugboardError(typeof code === 'string' ? code : fallbackCode, message, { cause: error })
}
