import type { Stage } from './exchange.js'

/** The request stage of routes that call no LLM (`/v1/models`, plugin endpoints): there is nothing in the body to read. */
export const noLlm: Stage = (_x, next) => next()
