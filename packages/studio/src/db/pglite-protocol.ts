/** Messages between {@link PGliteWorkerDriver} and its thread (pglite-worker.ts). */

export interface WorkerStart {
  dataDir: string
  /** A dump of a fresh, migrated database to start a new data directory from (2.7 s of initdb saved). */
  template?: string
}

export type WorkerRequest =
  | { id: number; kind: 'query'; sql: string; parameters: readonly unknown[] }
  | { id: number; kind: 'dump' }
  | { id: number; kind: 'close' }

/** What Postgres said about a failed statement: its SQLSTATE code and the constraint at fault. */
export interface WorkerError {
  message: string
  code?: string | undefined
  constraint?: string | undefined
  detail?: string | undefined
  table?: string | undefined
  column?: string | undefined
}

export type WorkerReply =
  | { id: number; rows: Record<string, unknown>[]; affectedRows?: number | undefined; dump?: Uint8Array; error?: undefined }
  | { id: number; error: WorkerError }
