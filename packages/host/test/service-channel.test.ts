import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Server, ServerCredentials, credentials, status as GrpcStatus, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js'
import { MemoryKvStore, PLUGIN_CHANNEL_OPTIONS, SERVICE_FRAME_MAX_MESSAGES, ServiceApiClient, ServiceApiService, servicev1, type Scope, type ServiceApiHandlers } from '@plugboard/proto'
import { PluginHost, serviceApiImplementation } from '@plugboard/host'
import { grpcServiceTransport } from '@plugboard/sdk/testing'
import { capturingLogger, waitFor } from './helpers.js'

// The SDK's Service API client against the host's implementation on a real gRPC server: unary
// methods travel on the Channel stream, checked per message as their unary calls are.

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** kvGet of "hang" runs until its signal aborts: a call that stays in flight. */
function handlersWithHang(base: ServiceApiHandlers, signals: AbortSignal[]): ServiceApiHandlers {
  return {
    ...base,
    kvGet: (request, caller, signal) => {
      if (request.key !== 'hang') return base.kvGet(request, caller, signal)
      signals.push(signal)
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
    },
  }
}

interface Served {
  transport: ReturnType<typeof grpcServiceTransport>
  target: string
  /** Channel streams the host opened, and the methods of every message that came on them. */
  channels: Array<ServerDuplexStream<servicev1.ServiceFrame, Buffer>>
  onChannel: string[]
  /** Messages in each frame that came on them. */
  frameSizes: number[]
  lines: Array<Record<string, unknown>>
  signals: AbortSignal[]
}

async function serve(scopes: Scope[], options: { withoutChannel?: boolean; token?: string; sendToken?: string } = {}): Promise<Served> {
  const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger, kv: new MemoryKvStore() })
  cleanups.push(() => host.shutdown())
  const { logger, lines } = capturingLogger()
  const signals: AbortSignal[] = []
  const implementation: UntypedServiceImplementation = serviceApiImplementation(handlersWithHang(host.serviceApi, signals), { plugin: 'p', scopes: new Set(scopes) }, logger, { ...(options.token && { token: options.token }) })
  const channels: Served['channels'] = []
  const onChannel: string[] = []
  const frameSizes: number[] = []
  const { channel, ...unaryOnly } = implementation
  const served: UntypedServiceImplementation = options.withoutChannel
    ? unaryOnly
    : {
        ...implementation,
        channel: (call: ServerDuplexStream<servicev1.ServiceFrame, Buffer>) => {
          channels.push(call)
          call.on('data', (frame: servicev1.ServiceFrame) => {
            frameSizes.push(frame.messages.length)
            onChannel.push(...frame.messages.filter((m) => !m.cancel).map((m) => m.method))
          })
          ;(channel as (call: unknown) => void)(call)
        },
      }
  const server = new Server(PLUGIN_CHANNEL_OPTIONS)
  server.addService(ServiceApiService, served)
  const dir = mkdtempSync(join(tmpdir(), 'pb-svc-channel-'))
  const target = `unix:${join(dir, 's.sock')}`
  await new Promise<void>((resolve, reject) => server.bindAsync(target, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())))
  const transport = grpcServiceTransport(target, credentials.createInsecure(), options.sendToken ? { token: options.sendToken, certDer: Buffer.alloc(0) } : undefined)
  cleanups.push(() => {
    transport.close()
    server.forceShutdown()
    rmSync(dir, { recursive: true, force: true })
  })
  return { transport, target, channels, onChannel, frameSizes, lines, signals }
}

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: { code?: string }) => error.code ?? String(error))

describe('Service API channel', () => {
  it('checks each message as its unary call: granted methods answer, others fail SCOPE_DENIED (audited), on one stream', async () => {
    const { transport, channels, onChannel, frameSizes, lines } = await serve(['kv.readwrite'])
    await transport.call('kvSet', { key: 'k', value: Buffer.from('v'), ttlMs: 0 })
    const [got, info, llms, published, logged] = await Promise.all([
      transport.call('kvGet', { key: 'k' }),
      codeOf(transport.call('getPluginInfo', {})),
      codeOf(transport.call('listLlms', { limit: 0, cursor: '' } as never)),
      codeOf(transport.call('publish', { topic: 't', payload: Buffer.alloc(0), direction: 0 })),
      codeOf(transport.call('log', { level: 0, message: 'hi', fieldsJson: Buffer.from('{}') })),
    ])
    expect(got).toEqual({ found: true, value: Buffer.from('v') })
    expect([info, llms, published, logged]).toEqual(['SCOPE_DENIED', 'SCOPE_DENIED', 'SCOPE_DENIED', 'ok'])
    expect(channels).toHaveLength(1)
    // kvSet alone, then the five calls made in one turn in one frame.
    expect(frameSizes).toEqual([1, 5])
    expect(onChannel.sort()).toEqual(['getPluginInfo', 'kvGet', 'kvSet', 'listLlms', 'log', 'publish'])
    expect(lines.filter((line) => line.msg === 'service API call denied').map((line) => line.method).sort()).toEqual(['getPluginInfo', 'listLlms', 'publish'])
  })

  it('keeps error codes and the gRPC status as unary calls carry them', async () => {
    const { transport } = await serve(['kv.readwrite'])
    await transport.call('kvSet', { key: 'n', value: Buffer.from('not a number'), ttlMs: 0 })
    const error = await transport.call('kvIncrement', { key: 'n', delta: 1, ttlMs: 0 } as never).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'KV_NOT_A_COUNTER', cause: { code: GrpcStatus.FAILED_PRECONDITION } })
    await expect(codeOf(transport.call('kvGet', { key: '' }))).resolves.toBe('SERVICE_INVALID_REQUEST')
  })

  it('answers a message naming no unary method with SERVICE_INVALID_REQUEST, and messages past the frame bound with SERVICE_TOO_MANY_CALLS, each alone', async () => {
    const { target } = await serve(['kv.readwrite', 'events.subscribe'])
    const client = new ServiceApiClient(target, credentials.createInsecure(), PLUGIN_CHANNEL_OPTIONS)
    const stream = client.channel()
    cleanups.push(() => {
      stream.cancel()
      client.close()
    })
    const answers = new Map<number, servicev1.ServiceMessage>()
    stream.on('data', (frame: servicev1.ServiceFrame) => frame.messages.forEach((m) => answers.set(m.id, m)))
    stream.on('error', () => undefined)
    const message = (id: number, method: string, body: Buffer) => ({ id, method, body, cancel: false })
    const kvGet = servicev1.KvGetRequest.encode({ key: 'k' }).finish()
    stream.write({
      messages: [
        message(1, 'noSuchMethod', Buffer.alloc(0)),
        message(2, 'subscribe', Buffer.from(servicev1.SubscribeRequest.encode({ topic: 't' }).finish())),
        message(3, 'kvGet', Buffer.from(kvGet)),
        ...Array.from({ length: SERVICE_FRAME_MAX_MESSAGES - 3 }, (_, i) => message(10 + i, 'log', Buffer.alloc(0))),
        message(9999, 'kvGet', Buffer.from(kvGet)),
      ],
    })
    await waitFor(() => answers.has(1) && answers.has(2) && answers.has(3) && answers.has(9999), 5_000, 'the answers')
    expect(answers.get(1)!.error).toMatchObject({ code: 'SERVICE_INVALID_REQUEST', grpcStatus: GrpcStatus.INVALID_ARGUMENT })
    expect(answers.get(2)!.error).toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    expect(answers.get(3)!.error).toBeUndefined()
    expect(servicev1.KvGetResponse.decode(answers.get(3)!.body)).toEqual({ found: false, value: Buffer.alloc(0) })
    expect(answers.get(9999)!.error).toMatchObject({ code: 'SERVICE_TOO_MANY_CALLS', message: expect.stringContaining(`at most ${SERVICE_FRAME_MAX_MESSAGES}`) })
  })

  it('is opened only with the connection token: without it calls fail SERVICE_UNAUTHENTICATED, with it they are answered on the channel', async () => {
    const refused = await serve(['kv.readwrite'], { token: 'secret', sendToken: 'wrong' })
    await expect(codeOf(refused.transport.call('kvGet', { key: 'k' }))).resolves.toBe('SERVICE_UNAUTHENTICATED')
    expect(refused.onChannel).toEqual([])
    expect(refused.lines.some((line) => line.method === 'channel' && line.msg === 'service API call without the connection token refused')).toBe(true)
    const admitted = await serve(['kv.readwrite'], { token: 'secret', sendToken: 'secret' })
    await expect(admitted.transport.call('kvGet', { key: 'k' })).resolves.toEqual({ found: false, value: Buffer.alloc(0) })
    expect(admitted.onChannel).toEqual(['kvGet'])
  })

  it('rejects a call at once when its signal aborts, and the host aborts the handler; other calls go on', async () => {
    const { transport, signals } = await serve(['kv.readwrite'])
    const controller = new AbortController()
    const hung = transport.call('kvGet', { key: 'hang' }, controller.signal)
    const other = transport.call('kvGet', { key: 'hang' })
    await waitFor(() => signals.length === 2, 5_000, 'both calls to run')
    controller.abort()
    await expect(hung).rejects.toMatchObject({ code: 'CALL_CANCELLED' })
    await waitFor(() => signals[0]!.aborted, 5_000, 'the cancelled call to be aborted on the host')
    expect(signals[1]!.aborted).toBe(false)
    await expect(transport.call('kvGet', { key: 'k' })).resolves.toEqual({ found: false, value: Buffer.alloc(0) })
    other.catch(() => undefined)
  })

  it('falls back to unary calls against a host without the channel, with the same results and refusals', async () => {
    const { transport } = await serve(['kv.readwrite'], { withoutChannel: true })
    // The first calls go out on a channel the host answers UNIMPLEMENTED: they are made again as unary calls.
    const first = await Promise.all([transport.call('kvSet', { key: 'a', value: Buffer.from('1'), ttlMs: 0 }), codeOf(transport.call('getPluginInfo', {}))])
    expect(first).toEqual([{}, 'SCOPE_DENIED'])
    await expect(transport.call('kvGet', { key: 'a' })).resolves.toEqual({ found: true, value: Buffer.from('1') })
    await expect(codeOf(transport.call('listApps', { limit: 0, cursor: '' } as never))).resolves.toBe('SCOPE_DENIED')
  })

  it('fails only the calls in flight when the stream breaks; the next call works, and a new channel opens later', async () => {
    const { transport, channels, signals } = await serve(['kv.readwrite'])
    await transport.call('kvSet', { key: 'k', value: Buffer.from('v'), ttlMs: 0 })
    const inFlight = [transport.call('kvGet', { key: 'hang' }), transport.call('kvGet', { key: 'hang' })]
    await waitFor(() => signals.length === 2, 5_000, 'both calls to run')
    channels[0]!.emit('error', { code: GrpcStatus.INTERNAL, details: 'the stream broke' })
    for (const call of inFlight) await expect(call).rejects.toMatchObject({ code: 'SERVICE_CALL_FAILED' })
    await waitFor(() => signals.every((signal) => signal.aborted), 5_000, 'the broken stream to abort its calls on the host')
    await expect(transport.call('kvGet', { key: 'k' })).resolves.toEqual({ found: true, value: Buffer.from('v') })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await expect(transport.call('kvGet', { key: 'k' })).resolves.toEqual({ found: true, value: Buffer.from('v') })
    expect(channels).toHaveLength(2)
  })
})
