import { PlugboardError } from './errors.js'
import type { EventBus } from './event-bus.js'
import { EventDirection } from './gen/plugboard/service/v1/service.js'
import type { ServiceApiErrorCode } from './service-api.js'
import { topicMatches, topicProblem } from './topic-patterns.js'

/** Topics only the host publishes (object changes, …): a plugin is refused them whatever it was granted. */
export const SYSTEM_TOPICS = 'system.>'

/** The `source` of every event the host itself publishes. */
export const HOST_EVENT_SOURCE = 'host'

/** Whether `topic` is in the reserved {@link SYSTEM_TOPICS} namespace. */
export function isSystemTopic(topic: string): boolean {
  return topicMatches(SYSTEM_TOPICS, topic)
}

/**
 * Publishes a host event on `bus`: `payload` as JSON, source "host",
 * direction LOCAL. The caller decides what a payload may carry; object
 * events must never carry secrets. Throws SERVICE_INVALID_REQUEST for a topic
 * outside `system.>`, which would let the host impersonate a plugin's topic.
 *
 * @example
 * await publishSystemEvent(studioBus, 'system.objects.llm.updated', { type: 'llm', action: 'updated', id, object })
 */
export async function publishSystemEvent(bus: EventBus, topic: string, payload: unknown): Promise<void> {
  const problem = topicProblem(topic, { wildcards: false }) ?? (isSystemTopic(topic) ? undefined : `is outside ${SYSTEM_TOPICS}`)
  if (problem) throw new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', `system event topic "${topic}" ${problem}`)
  await bus.publish({
    topic,
    payload: Buffer.from(JSON.stringify(payload)),
    source: HOST_EVENT_SOURCE,
    timestampMs: Date.now(),
    direction: EventDirection.EVENT_DIRECTION_LOCAL,
  })
}
