import { useEffect, useRef, useState, type FormEvent } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import type { ChatTargetListItem, ConversationDetail } from '@plugboard/studio/api-types'
import { chatApi } from '../api/chat-api'
import { useApiData } from '../api/use-api-data'
import { replyItems, toolText, type ReplyItem } from '../chat/reply-items'
import { withEvent, type ReplyView } from '../chat/reply-state'
import { ErrorMessage } from '../components/form-controls'
import './chat.css'

const targetKey = (target: { kind: string; name: string }) => `${target.kind}:${target.name}`
const targetLabel = (target: ChatTargetListItem) => `${target.label} (${target.kind === 'agent' ? 'agent' : 'LLM'})`
/** Thinking folds away; it is open while the reply streams, so the plan can be watched as it forms. */
function ThinkingView({ text, streaming }: { text: string; streaming: boolean }) {
  return (
    <details className="thinking" open={streaming}>
      <summary>{streaming ? 'Thinking…' : 'Thinking'}</summary>
      <p>{text}</p>
    </details>
  )
}

/** A tool call with its name and arguments, and its result (as text) once it came. */
function ToolView({ item }: { item: Extract<ReplyItem, { kind: 'tool' }> }) {
  const { call, result } = item
  const state = !result ? 'running' : result.isError ? 'failed' : 'done'
  return (
    <section className={`tool tool-${state}`} aria-label={`Tool ${call?.name ?? item.id}`}>
      {call && (
        <>
          <p>
            Tool call <code>{call.name}</code> <span className="tool-state">{state === 'running' ? 'running…' : state}</span>
          </p>
          <pre className="tool-arguments" aria-label="Arguments">
            {toolText(call.arguments)}
          </pre>
        </>
      )}
      {result && (
        <>
          <p>{result.isError ? 'Tool failed' : 'Tool result'}</p>
          <pre className="tool-result" aria-label="Result">
            {toolText(result.value)}
          </pre>
        </>
      )}
    </section>
  )
}

/** A message as text (never HTML): the user's, or the assistant's with its parts, the error kept after the partial answer. */
function MessageView({ role, reply, streaming = false }: { role: 'user' | 'assistant'; reply: ReplyView; streaming?: boolean }) {
  const errors = reply.parts.filter((part) => part.type === 'error')
  return (
    <li className={`chat-message ${role}`} aria-label={role === 'user' ? 'You' : 'Assistant'} aria-busy={streaming}>
      <p className="who">{role === 'user' ? 'You' : 'Assistant'}</p>
      {replyItems(reply.parts).map((item, index) => (item.kind === 'thinking' ? <ThinkingView key={index} text={item.text} streaming={streaming} /> : <ToolView key={index} item={item} />))}
      {(reply.content || streaming) && <p className="chat-text">{reply.content}</p>}
      {streaming && <p className="loading">Replying…</p>}
      {errors.map((error, index) => (
        <p key={index} className="chat-error" role="alert">
          {error.message} <code>{error.code}</code>
        </p>
      ))}
    </li>
  )
}

/**
 * Chat with an agent plugin or an LLM: the user's conversations (stored by
 * Studio), the open one, and a reply streamed event by event as it arrives.
 */
export default function ChatPage({ base = '/chat' }: { /** Where the page is: `/chat` (admin) or `/portal/chat`. */ base?: string }) {
  const { conversationId } = useParams()
  const navigate = useNavigate()
  const targets = useApiData(() => chatApi.targets(), [])
  const conversations = useApiData(() => chatApi.conversations(), [])
  const [picked, setPicked] = useState('')
  const [open, setOpen] = useState<{ state: 'none' } | { state: 'loading' } | { state: 'failed'; message: string } | { state: 'ready'; detail: ConversationDetail }>({ state: 'none' })
  const [streaming, setStreaming] = useState<{ conversation: string; question: string; reply: ReplyView } | undefined>()
  const [draft, setDraft] = useState('')
  const [sendError, setSendError] = useState<string>()
  /** A conversation this page just created and is streaming into: loading it again would race the stream. */
  const created = useRef<string | undefined>(undefined)
  const leaving = useRef(new AbortController())

  useEffect(() => () => leaving.current.abort(), [])
  useEffect(() => {
    if (!conversationId) return setOpen({ state: 'none' })
    if (created.current === conversationId) return
    let current = true
    setOpen({ state: 'loading' })
    chatApi.conversation(conversationId).then(
      (detail) => current && setOpen({ state: 'ready', detail }),
      (error: Error) => current && setOpen({ state: 'failed', message: error.message }),
    )
    return () => {
      current = false
    }
  }, [conversationId])

  const targetItems = targets.loaded.state === 'ready' ? targets.loaded.data.items : []
  const choice = picked || (targetItems[0] ? targetKey(targetItems[0]) : '')
  // A new conversation needs its target: Send waits for the list, which the select already seems to show.
  const targetsPending = !conversationId && targets.loaded.state === 'loading'

  async function send(event: FormEvent) {
    event.preventDefault()
    const question = draft
    // Enter submits the form itself, whether or not the button is enabled.
    if (!question.trim() || streaming || targetsPending) return
    setSendError(undefined)
    let id = conversationId
    try {
      if (!id) {
        const target = targetItems.find((item) => targetKey(item) === choice)
        if (!target) return setSendError('Pick an agent or an LLM to chat with first.')
        const conversation = await chatApi.createConversation({ target: { kind: target.kind, name: target.name } })
        id = created.current = conversation.id
        setOpen({ state: 'ready', detail: { ...conversation, messages: [] } })
        navigate(`${base}/${encodeURIComponent(id)}`)
      }
      setDraft('')
      setStreaming({ conversation: id, question, reply: { content: '', parts: [] } })
      await chatApi.sendMessage(id, question, (chatEvent) => setStreaming((now) => now && { ...now, reply: withEvent(now.reply, chatEvent) }), leaving.current.signal)
      const detail = await chatApi.conversation(id)
      // The user may have opened another conversation meanwhile: the reply is stored, this one stays open.
      setOpen((now) => (now.state === 'ready' && now.detail.id !== id ? now : { state: 'ready', detail }))
    } catch (error) {
      if (leaving.current.signal.aborted) return
      setSendError((error as Error).message)
      setDraft(question)
      // Whatever Studio stored before the failure (the question, a partial reply) is shown as stored.
      if (id) await chatApi.conversation(id).then((detail) => setOpen((now) => (now.state === 'ready' && now.detail.id !== id ? now : { state: 'ready', detail })), () => undefined)
    } finally {
      setStreaming(undefined)
      created.current = undefined
      conversations.reload()
    }
  }

  const detail = open.state === 'ready' ? open.detail : undefined
  return (
    <div className="chat">
      <aside className="chat-side">
        <div className="field">
          <label htmlFor="chat-target">Chat with</label>
          <select id="chat-target" value={choice} onChange={(e) => setPicked(e.target.value)} disabled={targetItems.length === 0}>
            {targetItems.map((target) => (
              <option key={targetKey(target)} value={targetKey(target)}>
                {targetLabel(target)}
              </option>
            ))}
          </select>
          {targets.loaded.state === 'ready' && targetItems.length === 0 && <p className="hint">No agent or LLM is available to you yet.</p>}
        </div>
        <button type="button" onClick={() => navigate(base)} disabled={!conversationId}>
          New conversation
        </button>
        <nav aria-label="Conversations">
          {conversations.loaded.state === 'failed' && <ErrorMessage message={conversations.loaded.message} />}
          {conversations.loaded.state === 'ready' && (
            <ul>
              {conversations.loaded.data.items.map((conversation) => (
                <li key={conversation.id}>
                  <Link to={`${base}/${encodeURIComponent(conversation.id)}`} className={conversation.id === conversationId ? 'active' : undefined}>
                    {conversation.title || 'New conversation'}
                  </Link>
                  <span className="hint">{conversation.target.name}</span>
                </li>
              ))}
            </ul>
          )}
        </nav>
      </aside>
      <section className="chat-main" aria-label="Conversation">
        <header className="page-header">
          <h1>{detail ? detail.title || 'New conversation' : 'Chat'}</h1>
          {detail && <p className="hint">with {detail.target.name}</p>}
        </header>
        {open.state === 'loading' && <p className="loading">Loading…</p>}
        {open.state === 'failed' && <ErrorMessage message={open.message} />}
        <ol className="chat-messages">
          {detail?.messages.map((message) => <MessageView key={message.id} role={message.role} reply={message} />)}
          {streaming && streaming.conversation === detail?.id && (
            <>
              <MessageView role="user" reply={{ content: streaming.question, parts: [] }} />
              <MessageView role="assistant" reply={streaming.reply} streaming />
            </>
          )}
        </ol>
        <ErrorMessage message={sendError} />
        <form className="chat-composer" onSubmit={(e) => void send(e)}>
          <label htmlFor="chat-message">Message</label>
          <textarea
            id="chat-message"
            value={draft}
            rows={3}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault()
                e.currentTarget.form?.requestSubmit()
              }
            }}
          />
          <button type="submit" className="primary" disabled={Boolean(streaming) || !draft.trim() || targetsPending}>
            {streaming ? 'Replying…' : 'Send'}
          </button>
        </form>
      </section>
    </div>
  )
}
