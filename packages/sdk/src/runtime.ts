import { PLUGIN_ENV } from '@plugboard/proto'
import type { Runtime } from './types.js'

/**
 * The runtime the host launched this plugin for, from its environment; the
 * authoritative value arrives with Initialize (`ctx.runtime`). Undefined when
 * the host did not say (a go-plugin host, or a plugin run in tests).
 */
export function detectRuntime(env: NodeJS.ProcessEnv = process.env): Runtime | undefined {
  const value = env[PLUGIN_ENV.runtime]
  return value === 'gateway' || value === 'studio' ? value : undefined
}
