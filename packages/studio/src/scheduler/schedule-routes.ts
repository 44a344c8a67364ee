import type { FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { actorOf, principalOf } from '../api/auth.js'
import { ListQuerySchema, Page } from '../api/list.js'
import { errorResponses, IdParams } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { Scheduler, ScheduleWriteOrigin } from './scheduler.js'

const Timestamp = Type.String({ format: 'date-time' })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const ScheduleRun = Type.Object({
  id: Type.String(),
  scheduleId: Type.String({ description: 'The schedule (its id in this API).' }),
  scheduledAt: Type.String({ format: 'date-time', description: 'The tick it is for (a manual run: when it was asked for); retries keep their first attempt’s.' }),
  attempt: Type.Integer({ minimum: 1 }),
  trigger: Type.Union([Type.Literal('cron'), Type.Literal('manual'), Type.Literal('retry')]),
  status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('timed_out'), Type.Literal('skipped')], {
    description: '`skipped`: a run of the schedule was still running at the tick (runs never overlap).',
  }),
  node: Nullable(Type.String({ description: 'The Studio process that ran it.' })),
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
  durationMs: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  output: Type.Unknown({ description: 'What the task returned (JSON, at most 64 KiB); null for none.' }),
})

export const Schedule = Type.Object({
  id: Type.String(),
  plugin: Type.String({ description: 'The installed plugin’s name.' }),
  scheduleId: Type.String({ description: 'Its id in the plugin’s manifest.' }),
  name: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  timeoutSeconds: Type.Integer(),
  enabled: Type.Boolean(),
  retries: Type.Integer(),
  nextRunAt: Nullable(Timestamp),
  lastRun: Nullable(ScheduleRun),
})

export type ScheduleItem = Static<typeof Schedule>
export type ScheduleRunItem = Static<typeof ScheduleRun>

const ScheduleFilters = { plugin: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only this plugin’s schedules (its name).' })) }
const ScheduleUpdate = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false })

/**
 * The admin API of scheduled tasks: list and read schedules, enable or
 * disable one (audited), run one now (202 with the run, which goes on), and
 * its run history, newest first. Schedules themselves come from plugin
 * manifests: there is no create or delete.
 */
export function registerScheduleRoutes(app: Api, scheduler: Scheduler): void {
  const tags = ['schedules']
  const config = { access: 'admin' as const }
  const base = `${API_PREFIX}/schedules`
  const origin = (request: FastifyRequest): ScheduleWriteOrigin => ({ actor: actorOf(principalOf(request)), requestId: request.id })

  app.get(
    base,
    { config, schema: { tags, summary: 'List the schedules of installed plugins', querystring: ListQuerySchema(ScheduleFilters), response: { 200: Page(Schedule), ...errorResponses(401, 403, 422) } } },
    async (request) => scheduler.page(request.query),
  )

  app.get(
    `${base}/:id`,
    { config, schema: { tags, summary: 'Get a schedule, with its next tick and last run', params: IdParams, response: { 200: Schedule, ...errorResponses(401, 403, 404) } } },
    async (request) => scheduler.get(undefined, request.params.id),
  )

  app.patch(
    `${base}/:id`,
    { config, schema: { tags, summary: 'Enable or disable a schedule (its cron and the rest come from the manifest)', params: IdParams, body: ScheduleUpdate, response: { 200: Schedule, ...errorResponses(401, 403, 404, 422) } } },
    async (request) => scheduler.setEnabled(undefined, request.params.id, request.body.enabled, origin(request)),
  )

  app.post(
    `${base}/:id/run`,
    {
      config,
      schema: { tags, summary: 'Run a schedule now (also a disabled one); answers with the run, which goes on', params: IdParams, response: { 202: ScheduleRun, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => reply.code(202).send(await scheduler.runNow(undefined, request.params.id, origin(request))),
  )

  app.get(
    `${base}/:id/runs`,
    { config, schema: { tags, summary: "A schedule's runs, newest first", params: IdParams, querystring: ListQuerySchema({}), response: { 200: Page(ScheduleRun), ...errorResponses(401, 403, 404, 422) } } },
    async (request) => scheduler.runs(undefined, request.params.id, request.query),
  )
}
