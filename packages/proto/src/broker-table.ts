import { PlugboardError } from './errors.js'
import type { ConnInfo } from './gen/plugin/grpc_broker.js'

/**
 * The addresses the peer announced over go-plugin's broker stream, by service
 * id. Either side of the broker records what arrives here and waits on it
 * before dialing a service the peer offers.
 */
export class BrokerTable {
  readonly #known = new Map<number, ConnInfo>()
  readonly #waiters = new Map<number, Array<(info: ConnInfo) => void>>()

  received(info: ConnInfo): void {
    this.#known.set(info.serviceId, info)
    const waiters = this.#waiters.get(info.serviceId) ?? []
    this.#waiters.delete(info.serviceId)
    for (const wake of waiters) wake(info)
  }

  /** Resolves with the announced address of `serviceId`; rejects with BROKER_TIMEOUT after `timeoutMs`. */
  waitFor(serviceId: number, timeoutMs: number): Promise<ConnInfo> {
    const known = this.#known.get(serviceId)
    if (known) return Promise.resolve(known)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiters = this.#waiters.get(serviceId)
        waiters?.splice(waiters.indexOf(wake), 1)
        reject(new PlugboardError('BROKER_TIMEOUT', `the peer did not announce broker service ${serviceId} within ${timeoutMs} ms`))
      }, timeoutMs)
      const wake = (info: ConnInfo) => {
        clearTimeout(timer)
        resolve(info)
      }
      const waiters = this.#waiters.get(serviceId) ?? []
      waiters.push(wake)
      this.#waiters.set(serviceId, waiters)
    })
  }
}

/** A broker address as a grpc-js target. */
export function brokerTarget(info: ConnInfo): string {
  return info.network === 'unix' ? `unix:${info.address}` : info.address
}
