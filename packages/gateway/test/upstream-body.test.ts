import type { Dispatcher } from 'undici'
import { describe, expect, it } from 'vitest'
import { UpstreamBody } from '../src/vendors/upstream-body.js'

/** Records what the body asks of the undici request it is fed by. */
function controller() {
  const state = { paused: false, aborted: false, reason: null as Error | null }
  const control = {
    get aborted() {
      return state.aborted
    },
    get paused() {
      return state.paused
    },
    get reason() {
      return state.reason
    },
    abort(reason: Error) {
      state.aborted = true
      state.reason = reason
    },
    pause() {
      state.paused = true
    },
    resume() {
      state.paused = false
    },
  } satisfies Dispatcher.DispatchController
  return { control, state }
}

describe('UpstreamBody', () => {
  it('reads a body whole, in order, across chunks', async () => {
    const body = new UpstreamBody()
    body.attach(controller().control)
    body.push(Buffer.from('{"a":'))
    setImmediate(() => {
      body.push(Buffer.from('1}'))
      body.end()
    })
    expect(JSON.parse(await body.text())).toEqual({ a: 1 })
  })

  it('pauses the socket while nobody reads and resumes when the reader catches up', async () => {
    const body = new UpstreamBody()
    const { control, state } = controller()
    body.attach(control)
    for (let i = 0; i < 64; i++) body.push(Buffer.from(`${i},`))
    expect(state.paused).toBe(true)
    const reader = body[Symbol.asyncIterator]()
    expect((await reader.next()).value.toString()).toBe('0,')
    expect(state.paused).toBe(false)
    body.end()
    let rest = ''
    for (let next = await reader.next(); !next.done; next = await reader.next()) rest += next.value.toString()
    expect(rest.split(',').length).toBe(64)
  })

  it('fails the reader with the transport error', async () => {
    const body = new UpstreamBody()
    body.attach(controller().control)
    body.push(Buffer.from('partial'))
    body.fail(new Error('socket closed'))
    await expect(body.text()).rejects.toThrow('socket closed')
  })

  it('aborts the request when a reader stops early, so the connection is not left waiting', async () => {
    const body = new UpstreamBody()
    const { control, state } = controller()
    body.attach(control)
    body.push(Buffer.from('first'))
    for await (const chunk of body) {
      expect(chunk.toString()).toBe('first')
      break
    }
    expect(state.aborted).toBe(true)
  })

  it('stops reading past a size limit and aborts the request', async () => {
    const body = new UpstreamBody()
    const { control, state } = controller()
    body.attach(control)
    body.push(Buffer.alloc(600))
    body.push(Buffer.alloc(600))
    await expect(body.bytes(1000)).rejects.toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE' })
    expect(state.aborted).toBe(true)
  })

  it('can be read only once', async () => {
    const body = new UpstreamBody()
    body.attach(controller().control)
    body.end()
    await body.bytes()
    await expect(body.bytes()).rejects.toThrow('only once')
  })
})
