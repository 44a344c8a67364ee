import { Type, type Static } from 'typebox'
import { principalOf, type Principal } from '../api/auth.js'
import { ListQuery } from '../api/list.js'
import { errorResponses, IdParams } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { StudioDb } from '../db/database.js'
import { StudioError } from '../errors.js'
import type { PluginDirectory } from '../plugins/plugin-runtime.js'
import { agentReply } from './agent-reply.js'
import type { ChatEvent, ReplyPart } from './chat-events.js'
import { chatTargets, usableTarget } from './chat-targets.js'
import { ConversationStore, presentConversation, type ChatTarget, type StoredMessage } from './conversation-store.js'
import { llmReply, type ChatCompletion } from './llm-reply.js'
import { relayReply } from './relay-reply.js'
import { SseWriter } from './sse-writer.js'

/** The longest message a user may send, in characters. */
export const MAX_MESSAGE_CHARS = 32_000
/** Room for the JSON around a message of MAX_MESSAGE_CHARS, escapes included; longer bodies are refused before they are read. */
const MESSAGE_BODY_LIMIT = 6 * MAX_MESSAGE_CHARS + 1024
/** The most history (characters of content) a reply is given: the latest messages that fit, so a long conversation stays one call. */
export const MAX_HISTORY_CHARS = 200_000
/** The most a reply may hold (its text and parts, in characters): a runaway agent or LLM is cut off there. */
export const MAX_REPLY_CHARS = 200_000
/** Conversations one user may keep: a new one past it waits for an old one's deletion. */
export const MAX_CONVERSATIONS_PER_USER = 500
/** Messages (questions and replies) in one conversation: past it, a new conversation. */
export const MAX_MESSAGES_PER_CONVERSATION = 500
/** How long one reply may stream before it is cancelled. */
export const DEFAULT_REPLY_DEADLINE_MS = 120_000
/** How long after its deadline a reply still holds its conversation, to be stored; a node that died mid-reply frees it then. */
const CLAIM_STORE_MS = 30_000

const Target = Type.Object({ kind: Type.Union([Type.Literal('agent'), Type.Literal('llm')]), name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false })
const Conversation = Type.Object({ id: Type.String(), title: Type.String(), target: Target, createdAt: Type.String({ format: 'date-time' }), updatedAt: Type.String({ format: 'date-time' }) })
const Part = Type.Object({ type: Type.String() }, { additionalProperties: true, description: 'thinking {text}, tool_call {id, name, arguments}, tool_result {id, result, isError}, error {code, message}' })
const Message = Type.Object({ id: Type.String(), role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]), content: Type.String(), parts: Type.Array(Part), createdAt: Type.String({ format: 'date-time' }) })
const ChatTargetItem = Type.Object({ kind: Target.properties.kind, name: Type.String(), label: Type.String(), description: Type.String() })
const CreateBody = Type.Object({ target: Target, title: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false })
const MessageBody = Type.Object({ content: Type.String({ description: `The user's message: not blank, at most ${MAX_MESSAGE_CHARS} characters (413 beyond).` }) }, { additionalProperties: false })

export type ConversationItem = Static<typeof Conversation>
export type ChatTargetListItem = Static<typeof ChatTargetItem>
/** A stored message; its `parts` are ReplyParts (the schema keeps them open for parts added later). */
export type ChatMessageItem = Omit<Static<typeof Message>, 'parts'> & { parts: ReplyPart[] }
export type ConversationDetail = ConversationItem & { messages: ChatMessageItem[] }
export type ConversationCreateBody = Static<typeof CreateBody>

export interface ChatRouteOptions {
  db: StudioDb
  plugins: Pick<PluginDirectory, 'studioHalf'>
  /** How an LLM target's completion goes through the gateway; undefined without a gateway beside Studio. */
  completion: () => ChatCompletion | undefined
  replyDeadlineMs?: number
}

const userOf = (principal: Principal) => ({ id: principal.userId, email: principal.email, name: principal.name, roles: [principal.role] })

/**
 * Chat under /api/v1/chat: each signed-in user's conversations with an agent
 * plugin or an LLM, stored here, and a reply streamed as server-sent events
 * while it arrives. The history an agent gets is read from the database, never
 * taken from the browser; the user is the host-verified one.
 */
export function registerChatRoutes(app: Api, options: ChatRouteOptions): void {
  const store = new ConversationStore(options.db)
  const deadlineMs = options.replyDeadlineMs ?? DEFAULT_REPLY_DEADLINE_MS
  // A reply holds its conversation until it is stored: past its deadline, with room to store it.
  const claimMs = deadlineMs + CLAIM_STORE_MS
  const base = `${API_PREFIX}/chat`
  const config = { access: 'user' as const }
  const tags = ['chat']

  app.get(
    `${base}/targets`,
    { config, schema: { tags, summary: 'What the signed-in user may chat with: enabled agent plugins and the LLMs they may use', response: { 200: Type.Object({ items: Type.Array(ChatTargetItem) }), ...errorResponses(401) } } },
    async (request) => ({ items: await chatTargets(options.db, principalOf(request)) }),
  )

  app.get(
    `${base}/conversations`,
    {
      config,
      schema: { tags, summary: "The signed-in user's conversations, the most recently active first", querystring: Type.Object({ limit: ListQuery.limit, cursor: ListQuery.cursor }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(Conversation), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(401, 422) } },
    },
    async (request) => store.list(principalOf(request).userId, request.query),
  )

  app.post(
    `${base}/conversations`,
    { config, schema: { tags, summary: 'Start a conversation with an agent or an LLM (its title: the first message, unless given)', body: CreateBody, response: { 201: Conversation, ...errorResponses(401, 404, 409, 422) } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const target = await usableTarget(options.db, principal, request.body.target)
      if ((await store.count(principal.userId)) >= MAX_CONVERSATIONS_PER_USER) throw new StudioError('QUOTA_EXCEEDED', `you have ${MAX_CONVERSATIONS_PER_USER} conversations, the most one user may keep: delete one first`)
      const row = await store.create(principal.userId, target, request.body.title?.trim() || undefined)
      return reply.code(201).send(presentConversation(row))
    },
  )

  app.get(
    `${base}/conversations/:id`,
    { config, schema: { tags, summary: 'A conversation with its messages, oldest first', params: IdParams, response: { 200: Type.Object({ ...Conversation.properties, messages: Type.Array(Message) }), ...errorResponses(401, 404) } } },
    async (request) => {
      const row = await store.find(principalOf(request).userId, request.params.id)
      return { ...presentConversation(row), messages: await store.messages(row.id) }
    },
  )

  app.delete(
    `${base}/conversations/:id`,
    { config, schema: { tags, summary: 'Delete a conversation and its messages', params: IdParams, response: { 204: Type.Null(), ...errorResponses(401, 404) } } },
    async (request, reply) => {
      await store.delete(principalOf(request).userId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    `${base}/conversations/:id/messages`,
    {
      config,
      bodyLimit: MESSAGE_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Send a message; the reply streams as server-sent events (content, thinking, tool_call, tool_result, error, done), and both messages are stored',
        params: IdParams,
        body: MessageBody,
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses(401, 404, 409, 413, 422, 503) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const conversation = await store.find(principal.userId, request.params.id)
      const content = request.body.content
      if (content.trim() === '') throw new StudioError('VALIDATION_FAILED', 'the message is empty', { details: [{ path: '/content', message: 'must not be blank' }] })
      if (content.length > MAX_MESSAGE_CHARS) throw new StudioError('BODY_TOO_LARGE', `the message is ${content.length} characters, more than ${MAX_MESSAGE_CHARS}`, { details: [{ path: '/content', message: `at most ${MAX_MESSAGE_CHARS} characters` }] })
      if (!(await store.claimReply(conversation.id, claimMs))) throw new StudioError('CHAT_REPLY_IN_PROGRESS', 'a reply in this conversation is still streaming: wait for it to finish, then send again')
      try {
        // A question and its reply: both must fit.
        if ((await store.messageCount(conversation.id)) + 2 > MAX_MESSAGES_PER_CONVERSATION) throw new StudioError('QUOTA_EXCEEDED', `this conversation holds ${MAX_MESSAGES_PER_CONVERSATION} messages, the most one may: start a new conversation`)
        const target = await usableTarget(options.db, principal, { kind: conversation.target_kind, name: conversation.target_name })
        const source = replySource(target, { conversation: conversation.id, history: await store.recentMessages(conversation.id, MAX_HISTORY_CHARS - content.length), content, principal })
        const question = await store.append(conversation.id, { role: 'user', content })

        const clientGone = new AbortController()
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) clientGone.abort()
        })
        // From here the answer is the event stream: what fails is told in it, never as an error status.
        reply.hijack()
        const sse = new SseWriter(reply.raw)
        try {
          sse.start(reply.getHeaders())
          const record = await relayReply(source, (event, signal) => sse.send(event.type, eventData(event), signal), { clientGone: clientGone.signal, deadlineMs, maxChars: MAX_REPLY_CHARS })
          const answer = await store.append(conversation.id, { role: 'assistant', content: record.content, parts: record.parts })
          await sse.send('done', { userMessageId: question.id, messageId: answer.id })
        } catch (error) {
          request.log.error({ err: error, conversation: conversation.id }, 'a chat reply could not be stored')
          await sse.send('error', { code: 'INTERNAL_ERROR', message: `the reply could not be stored (request ${request.id})` })
        } finally {
          sse.end()
        }
      } finally {
        // Unreleased (the database away), the claim runs out by itself.
        await store.releaseReply(conversation.id).catch((error: unknown) => request.log.warn({ err: error, conversation: conversation.id }, 'a chat reply claim was not released'))
      }
    },
  )

  /**
   * Where the reply comes from, checked before anything is stored: the
   * agent's running Studio half (PLUGIN_NOT_RUNNING without one) or the
   * gateway an LLM conversation goes through (CHAT_LLM_UNAVAILABLE).
   */
  function replySource(target: ChatTarget, turn: { conversation: string; history: StoredMessage[]; content: string; principal: Principal }): (signal: AbortSignal) => AsyncIterable<ChatEvent> {
    const history = turn.history.map((message) => ({ role: message.role, content: message.content }))
    if (target.kind === 'agent') {
      const half = options.plugins.studioHalf(target.name)
      if (half?.state !== 'running') throw new StudioError('PLUGIN_NOT_RUNNING', `agent "${target.name}" has no Studio process running (${half ? `it is ${half.state}` : 'it failed to start'}: see its status)`)
      const chatMessage = (message: { role: string; content: string }) => ({ ...message, name: '', toolCallId: '' })
      const request = {
        sessionId: turn.conversation,
        message: chatMessage({ role: 'user', content: turn.content }),
        history: history.map(chatMessage),
        resources: [],
        configJson: Buffer.alloc(0),
        user: userOf(turn.principal),
      }
      return (signal) => agentReply(half, request, signal)
    }
    const completion = options.completion()
    if (!completion) throw new StudioError('CHAT_LLM_UNAVAILABLE', 'this Studio runs no gateway to send an LLM conversation through; chat with an agent, or run Studio with its gateway (plugboard up)')
    return (signal) => llmReply(completion, target.name, turn.principal.userId, [...history, { role: 'user', content: turn.content }], signal)
  }
}

/** An event's data as the browser reads it: the event without its `type` (the SSE event name). */
function eventData(event: ChatEvent): Omit<ChatEvent, 'type'> {
  const { type: _type, ...data } = event
  return data
}
