import { sendBytes } from '../http-io.js'
import type { Exchange } from './exchange.js'
import { translatedBlock } from './translate-answer.js'

/** Answers with what a blocking plugin returned (in the client's API), naming it in `x-plugboard-blocked-by`. */
export function answerBlocked(x: Exchange, block: { plugin: string; status: number; headers: Record<string, string>; body: Buffer }): void {
  x.status = block.status
  x.responseBody = block.body
  x.log.info({ plugin: block.plugin, status: block.status }, 'request blocked by plugin')
  const body = x.dialect ? translatedBlock(x.dialect, x.answer, block) : block.body
  sendBytes(x.res, block.status, { ...block.headers, 'x-request-id': x.requestId, 'x-plugboard-blocked-by': block.plugin }, body)
}
