/**
 * The embedded database's thread: PGlite runs Postgres compiled to WASM in
 * the thread that calls it, so it gets a thread of its own and the gateway's
 * event loop never waits on a query. Messages are answered in order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import type { WorkerReply, WorkerRequest, WorkerStart } from './pglite-protocol.js'

const start = workerData as WorkerStart
const port = parentPort!

async function open(): Promise<PGlite> {
  const loadDataDir = start.template ? new Blob([await readFile(start.template)]) : undefined
  return PGlite.create(start.dataDir, loadDataDir ? { loadDataDir } : {})
}

const db = await open().catch((error: unknown) => {
  port.postMessage({ id: 0, error: { message: `the embedded database at ${start.dataDir} did not open: ${(error as Error).message}` } } satisfies WorkerReply)
  process.exit(1)
})
port.postMessage({ id: 0, rows: [] } satisfies WorkerReply)

port.on('message', (request: WorkerRequest) => {
  if (request.kind === 'close') {
    void db.close().finally(() => port.postMessage({ id: request.id, rows: [] } satisfies WorkerReply))
    return
  }
  if (request.kind === 'dump') {
    void db
      .dumpDataDir('none')
      .then(async (file) => port.postMessage({ id: request.id, rows: [], dump: new Uint8Array(await (file as Blob).arrayBuffer()) } satisfies WorkerReply))
      .catch((error: unknown) => port.postMessage({ id: request.id, error: { message: (error as Error).message } } satisfies WorkerReply))
    return
  }
  db.query(request.sql, request.parameters as unknown[], { rowMode: 'object' }).then(
    (result) => port.postMessage({ id: request.id, rows: result.rows as Record<string, unknown>[], affectedRows: result.affectedRows } satisfies WorkerReply),
    (error: unknown) => {
      const e = error as { message: string; code?: string; constraint?: string; detail?: string; table?: string; column?: string }
      port.postMessage({ id: request.id, error: { message: e.message, code: e.code, constraint: e.constraint, detail: e.detail, table: e.table, column: e.column } } satisfies WorkerReply)
    },
  )
})
