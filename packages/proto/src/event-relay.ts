import { PlugboardError } from './errors.js'
import type { EventBus } from './event-bus.js'
import { EventDirection, type Event } from './gen/plugboard/service/v1/service.js'
import type { ServiceApiErrorCode } from './service-api.js'

/** The runtime a host serves plugins in. */
export type EventRuntime = 'gateway' | 'studio'

/**
 * The link between the event buses of one Studio and its gateways: the seam a
 * NATS adapter implements in the scale-out work. Each runtime's host keeps
 * its own bus for LOCAL events; only UP and DOWN events cross, through here.
 * An event keeps its source, timestamp and direction on the way, so a
 * subscriber can tell an UP event from a local one.
 */
export interface EventRelay {
  /** From a gateway: to Studio's subscribers (not to other gateways', nor back to the sender's own bus). */
  up(event: Event): Promise<void>
  /** From Studio: to the subscribers on every gateway (not to Studio's own bus). */
  down(event: Event): Promise<void>
}

/**
 * The one-node relay: one Studio bus and the buses of the gateways in the
 * same process. A gateway linked later receives only the DOWN events
 * published after it was linked; nothing is replayed.
 *
 * @example
 * const relay = new InProcessEventRelay(studioBus)
 * const unlink = relay.linkGateway(gatewayBus)
 * new PluginHost({ runtime: 'studio', logger, events: studioBus, relay })
 * new PluginHost({ runtime: 'gateway', logger, events: gatewayBus, relay })
 */
export class InProcessEventRelay implements EventRelay {
  readonly #gateways = new Set<EventBus>()

  constructor(private readonly studio: EventBus) {}

  /** Links a gateway's bus: DOWN events reach it until the returned function is called (safe to call more than once). */
  linkGateway(bus: EventBus): () => void {
    this.#gateways.add(bus)
    return () => void this.#gateways.delete(bus)
  }

  async up(event: Event): Promise<void> {
    await this.studio.publish(event)
  }

  async down(event: Event): Promise<void> {
    await Promise.all([...this.#gateways].map((bus) => bus.publish(event)))
  }
}

/** Where a host sits: its runtime (which directions its plugins may publish in) and its link to the other runtime. */
export interface EventRouting {
  runtime: EventRuntime
  /** Without one, UP and DOWN events fail with SERVICE_UNAVAILABLE: a gateway run alone has no Studio to send up to. */
  relay?: EventRelay
  /** This host's id among its peers: the gateway id on the edge payloads its plugins send. */
  instanceId: string
}

const ALLOWED: Record<EventRuntime, EventDirection> = {
  gateway: EventDirection.EVENT_DIRECTION_UP,
  studio: EventDirection.EVENT_DIRECTION_DOWN,
}

const DIRECTION_NAMES: Partial<Record<EventDirection, string>> = {
  [EventDirection.EVENT_DIRECTION_LOCAL]: 'local',
  [EventDirection.EVENT_DIRECTION_UP]: 'up',
  [EventDirection.EVENT_DIRECTION_DOWN]: 'down',
}

/**
 * Delivers `event` by its direction: LOCAL to `bus`, UP (from a gateway) and
 * DOWN (from Studio) through the relay. A direction the runtime may not
 * publish in (DOWN from a gateway, UP from Studio, an unknown value) fails
 * with SERVICE_INVALID_REQUEST; UP or DOWN without a relay with
 * SERVICE_UNAVAILABLE. Without `routing` only LOCAL is allowed.
 */
export async function routeEvent(bus: EventBus, routing: EventRouting | undefined, event: Event): Promise<void> {
  if (event.direction === EventDirection.EVENT_DIRECTION_LOCAL) return bus.publish(event)
  const name = DIRECTION_NAMES[event.direction]
  if (!routing || !name || ALLOWED[routing.runtime] !== event.direction) {
    const allowed = routing ? `local or ${DIRECTION_NAMES[ALLOWED[routing.runtime]]}` : 'local'
    throw new PlugboardError<ServiceApiErrorCode>(
      'SERVICE_INVALID_REQUEST',
      `event "${event.topic}" cannot go ${name ?? `in direction ${event.direction}`} from ${routing ? `a ${routing.runtime}` : 'this host'}: publish it ${allowed}`,
    )
  }
  if (!routing.relay) {
    throw new PlugboardError<ServiceApiErrorCode>(
      'SERVICE_UNAVAILABLE',
      `event "${event.topic}" cannot go ${name}: this ${routing.runtime} is not linked to ${routing.runtime === 'gateway' ? 'a Studio' : 'any gateway'}`,
    )
  }
  await (event.direction === EventDirection.EVENT_DIRECTION_UP ? routing.relay.up(event) : routing.relay.down(event))
}
