import type { ManagedPlugin } from '@plugboard/host'
import type { pluginv1 } from '@plugboard/proto'
import { agentChunkEvent, type ChatEvent } from './chat-events.js'

/** An agent plugin's reply (its HandleAgentMessage stream) as chat events; `signal` cancels the call. */
export async function* agentReply(half: ManagedPlugin, request: pluginv1.AgentRequest, signal: AbortSignal): AsyncIterable<ChatEvent> {
  for await (const chunk of half.stream('handleAgentMessage', request, { signal })) {
    const event = agentChunkEvent(chunk)
    if (event) yield event
  }
}
