import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import fastifyCookie from '@fastify/cookie'
import fastifySwagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ErrorObject } from 'ajv'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { databaseError } from '../db/database.js'
import { StudioError, type StudioErrorBody } from '../errors.js'
import type { Access, Authenticator } from './auth.js'
import { API_VALIDATORS, detailsOf, schemaError } from './validation.js'

export type Api = FastifyInstance<import('node:http').Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

export const API_PREFIX = '/api/v1'
const REQUEST_ID = /^[\w.-]{1,128}$/
/** The largest JSON body a route takes unless it says otherwise. */
const BODY_LIMIT = 1024 * 1024

/** `users_email_key` → `/email`: the field a Postgres unique or foreign-key violation is about. */
function fieldOfViolation(error: { constraint?: string; detail?: string; table?: string }): string {
  const fromDetail = /Key \(([\w, ]+)\)/.exec(error.detail ?? '')?.[1]?.split(',').at(-1)?.trim()
  const column = fromDetail ?? error.constraint?.replace(/^[a-z]+?_/, '').replace(/_(p?key|fkey)$/, '') ?? ''
  return `/${column.replace(/_id$/, 'Id').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}`
}

/** 5242880 → `5 MB`: a body limit as a person reads it. */
function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KB` : `${bytes} bytes`
}

/**
 * The StudioError an error means to a client: ours as they are, Postgres
 * violations and Fastify's own mapped; else INTERNAL_ERROR. `bodyLimit` (the
 * route's) goes into a too-large body's message, so the user learns the limit.
 */
export function toStudioError(error: unknown, route: { bodyLimit?: number | undefined } = {}): StudioError {
  if (error instanceof StudioError) return error
  const mapped = databaseError(error)
  if (mapped instanceof StudioError) return mapped
  const e = error as FastifyError & { constraint?: string; detail?: string; validation?: ErrorObject[]; validationContext?: string }
  if (e.validation) {
    const part = e.validationContext === 'querystring' ? 'query' : (e.validationContext ?? 'body')
    return schemaError(part, detailsOf(e.validation, part))
  }
  switch (e.code) {
    case '23505':
      return new StudioError('ALREADY_EXISTS', `an object with that ${fieldOfViolation(e).slice(1)} already exists`, { details: [{ path: fieldOfViolation(e), message: 'is already taken' }] })
    case '23503':
      return new StudioError('REFERENCE_NOT_FOUND', `the ${fieldOfViolation(e).slice(1)} names no existing object`, { details: [{ path: fieldOfViolation(e), message: 'names no existing object' }] })
    case '23514':
    case '22P02':
    case '22003':
    // Text with a NUL character (\u0000) the database cannot store, and dates past its range or not dates at all.
    case '22021':
    case '22P05':
    case '22007':
    case '22008':
      return new StudioError('VALIDATION_FAILED', `a value is out of range: ${e.message}`, { details: [{ path: '/', message: e.message }] })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new StudioError('INVALID_JSON', `the body is not valid JSON: ${e.message}`, { details: [{ path: '/', message: 'is not valid JSON' }] })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new StudioError('BODY_TOO_LARGE', route.bodyLimit ? `the request body is larger than ${sizeText(route.bodyLimit)}, the limit of this route` : 'the request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new StudioError('UNSUPPORTED_CONTENT_TYPE', 'send the body as application/json')
  }
  if (error instanceof SyntaxError && e.statusCode === 400) return new StudioError('INVALID_JSON', `the body is not valid JSON: ${e.message}`, { details: [{ path: '/', message: 'is not valid JSON' }] })
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new StudioError('VALIDATION_FAILED', e.message, { details: [{ path: '/', message: e.message }] })
  return new StudioError('INTERNAL_ERROR', 'internal error', { cause: error })
}

export function sendStudioError(request: FastifyRequest, reply: FastifyReply, error: StudioError): FastifyReply {
  if (error.code === 'INTERNAL_ERROR') request.log.error({ err: error.cause }, 'internal error')
  const body: StudioErrorBody = { error: { code: error.code, message: error.code === 'INTERNAL_ERROR' ? `internal error (request ${request.id})` : error.message, ...(error.details && { details: error.details }), ...(error.plugin && { plugin: error.plugin }) } }
  return reply.code(error.status).headers(error.headers ?? {}).send(body)
}

/**
 * The admin API's Fastify instance, without a listening server of its own:
 * `handle` takes Node's request and response, so Studio shares the gateway's
 * port (the gateway hands it every path that is not its own). Every route
 * must declare `config.access`; a route without one fails the start.
 */
export async function createApi(options: { logger: Logger; auth: Authenticator; info: { title: string; version: string } }) {
  let handle!: (req: IncomingMessage, res: ServerResponse) => void
  const app = Fastify({
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    requestIdHeader: false,
    serverFactory: (handler) => {
      handle = handler
      return createServer()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    // A path the router refuses (a parameter over maxParamLength, a malformed %-escape) answers in the API's error shape too.
    frameworkErrors: (error, request, reply) => {
      sendStudioError(request, reply, toStudioError(error))
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api

  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? API_VALIDATORS.body : API_VALIDATORS.other)(schema))
  // An empty body with a JSON content type (some clients send the header on every request, a DELETE
  // included) is no body: routes that need one say so through their schema.
  const json = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => (body === '' ? done(null, undefined) : json(request, body as string, done)))
  await app.register(fastifyCookie)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...options.info, description: 'Plugboard Studio admin API. Every error is `{"error":{"code","message","details"}}`; codes are listed in the @plugboard/studio README.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'pb_session', description: 'From POST /api/v1/auth/login; writes also need the X-CSRF-Token header.' },
          bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token.' },
        },
      },
    },
  })

  app.addHook('onRoute', (route) => {
    const access = route.config?.access
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access`)
    route.schema ??= {}
    const schema = route.schema as Record<string, unknown>
    schema['x-access'] = access
    if (access !== 'public') schema.security = [{ session: [] }, { bearer: [] }]
  })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    reply.header('cache-control', 'no-store')
    const access = (request.routeOptions.config as { access?: Access }).access
    if (!access) return
    request.principal = await options.auth.check(request, access)
  })
  app.setErrorHandler((error, request, reply) => sendStudioError(request, reply, toStudioError(error, { bodyLimit: request.routeOptions.bodyLimit })))
  app.setNotFoundHandler((request, reply) => sendStudioError(request, reply, new StudioError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)))

  app.get(`${API_PREFIX}/openapi.json`, { config: { access: 'public' }, schema: { hide: true } }, () => app.swagger())
  return { app, handle: (req: IncomingMessage, res: ServerResponse) => handle(req, res) }
}
