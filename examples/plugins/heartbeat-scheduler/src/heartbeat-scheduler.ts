import {
  BasePlugin,
  PlugboardError,
  type HookContext,
  type JsonValue,
  type ScheduledTask,
  type ScheduledTasks,
  type UiProvider,
  type UiRpcRequest,
} from '@plugboard/sdk'

/** What each run leaves in the KV store under {@link HEARTBEAT_KEY} (a type, not an interface: it is JSON). */
export type Heartbeat = {
  /** When the run wrote it (ISO 8601). */
  at: string
  /** Runs so far, this one included. */
  count: number
  /** The scheduler's id of the run, to find it in the schedule's history. */
  runId: string
}

export const HEARTBEAT_KEY = 'heartbeat'
/** The run counter, apart from the heartbeat: an atomic KV counter holds only its number. */
const COUNT_KEY = 'heartbeat-count'
const SCHEDULE_ID = 'heartbeat'

const isHeartbeat = (value: unknown): value is Heartbeat =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as Heartbeat).count) && (value as Heartbeat).count >= 0

/**
 * A Studio scheduled task: every minute (UTC) the scheduler runs
 * `heartbeat`, which writes `{ at, count, runId }` to the plugin's KV store
 * (scope kv.readwrite) and returns it as the run's output. The admin RPC
 * method `last` answers the latest heartbeat, or null before the first run.
 * The count is an atomic KV counter, so runs on several Studio nodes never
 * lose a beat.
 */
export class HeartbeatScheduler extends BasePlugin implements ScheduledTasks, Pick<UiProvider, 'handleUiRpc'> {
  readonly manifest = {
    id: 'heartbeat-scheduler',
    name: 'Heartbeat scheduler',
    version: '0.1.0',
    description: 'Writes a heartbeat to its KV store every minute; admin RPC `last` answers the latest',
    runtimes: ['studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
    schedules: [{ id: SCHEDULE_ID, name: 'Heartbeat', cron: '* * * * *', timezone: 'UTC', timeoutSeconds: 10 }],
    ui: { rpc: ['last'] },
  }

  constructor(private readonly now: () => Date = () => new Date()) {
    super()
  }

  async runScheduledTask(task: ScheduledTask, ctx: HookContext): Promise<JsonValue> {
    if (task.scheduleId !== SCHEDULE_ID) throw new PlugboardError('SCHEDULE_UNKNOWN', `heartbeat-scheduler has no schedule ${JSON.stringify(task.scheduleId.slice(0, 100))}`)
    const count = await ctx.services.kv.increment(COUNT_KEY, 1, { signal: ctx.signal })
    const beat: Heartbeat = { at: this.now().toISOString(), count, runId: task.runId }
    await ctx.services.kv.set(HEARTBEAT_KEY, beat, { signal: ctx.signal })
    return beat
  }

  async handleUiRpc({ method }: UiRpcRequest, ctx: HookContext): Promise<JsonValue> {
    if (method !== 'last') throw new PlugboardError('RPC_METHOD_UNKNOWN', `heartbeat-scheduler answers the admin RPC method "last", not ${JSON.stringify(method.slice(0, 100))}`)
    const stored = await ctx.services.kv.getJson(HEARTBEAT_KEY, { signal: ctx.signal })
    return isHeartbeat(stored) ? stored : null
  }
}
