import { hookRequest, readBody } from '../http-io.js'
import type { Stage } from './exchange.js'

/** Reads the request body (up to `server.maxBodyBytes`) and builds the request as hooks see it. */
export const receive: Stage = async (x, next) => {
  x.request = hookRequest(x.req, x.url, await readBody(x.req, x.state.config.server.maxBodyBytes))
  await next()
}
