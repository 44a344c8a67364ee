/** Largest edge payload a gateway half may send, in bytes: edge payloads are summaries, not bulk transfer. */
export const MAX_EDGE_PAYLOAD_BYTES = 1024 * 1024

/**
 * Takes an edge payload a gateway half sent (SendEdgePayload) towards the
 * Studio half of the same plugin. Resolves once the payload is accepted for
 * delivery; a rejection with a Service API code reaches the sending plugin.
 */
export type EdgePayloadSink = (from: { plugin: string; gatewayId: string }, kind: string, payload: Buffer, signal: AbortSignal) => Promise<void>
