import { sql, type Kysely, type Migration } from 'kysely'

const now = sql`now()`
const pagedAt = sql`timestamptz(3)`

/**
 * The plugin platform: what an installed plugin declared (manifest, config
 * schema) beside what an admin granted (its `spec`), the KV store plugins
 * share across gateways, and scheduled tasks with their run history.
 */
export const pluginPlatform: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('plugins')
      .addColumn('manifest', 'jsonb')
      .addColumn('config_schema', 'jsonb')
      // Scopes a newer version requests that the admin has not granted yet (reload → scopes_pending).
      .addColumn('pending_scopes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      // Bumped by POST /plugins/{id}/reload: every runtime starts a new process when it changes.
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()

    await db.schema.alterTable('llms').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute()

    await db.schema
      .createTable('plugin_kv')
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'bytea', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addPrimaryKeyConstraint('plugin_kv_pkey', ['namespace', 'key'])
      .execute()
    await db.schema.createIndex('plugin_kv_expires').on('plugin_kv').column('expires_at').where(sql.ref('expires_at'), 'is not', null).execute()
    // What each namespace holds (key and value bytes plus 128 per entry, KV_ENTRY_OVERHEAD_BYTES), kept by a
    // trigger: every write, delete and sweep counts from the row versions it really changed, so the quota
    // check is one primary-key read and never drifts, however writes to one key race.
    await db.schema
      .createTable('plugin_kv_usage')
      .addColumn('namespace', 'text', (c) => c.primaryKey())
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute()
    await sql`
      create function plugin_kv_account() returns trigger language plpgsql as $$
      declare
        delta bigint := 0;
        space text;
      begin
        if tg_op in ('UPDATE', 'DELETE') then
          delta := delta - (octet_length(old.key) + octet_length(old.value) + 128);
          space := old.namespace;
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
          delta := delta + (octet_length(new.key) + octet_length(new.value) + 128);
          space := new.namespace;
        end if;
        if delta <> 0 then
          insert into plugin_kv_usage (namespace, bytes) values (space, delta)
            on conflict (namespace) do update set bytes = plugin_kv_usage.bytes + excluded.bytes;
        end if;
        return null;
      end
      $$`.execute(db)
    await sql`create trigger plugin_kv_account after insert or update or delete on plugin_kv for each row execute function plugin_kv_account()`.execute(db)

    await db.schema
      .createTable('schedules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plugin_id', 'text', (c) => c.notNull().references('plugins.id').onDelete('cascade'))
      // The id the manifest gives it, unique within its plugin.
      .addColumn('schedule_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('cron', 'text', (c) => c.notNull())
      .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
      .addColumn('timeout_seconds', 'integer', (c) => c.notNull().defaultTo(60))
      .addColumn('config', 'jsonb')
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('retry_backoff_ms', 'integer', (c) => c.notNull().defaultTo(1000))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint('schedules_plugin_schedule', ['plugin_id', 'schedule_id'])
      .execute()

    await db.schema
      .createTable('schedule_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('schedule', 'text', (c) => c.notNull().references('schedules.id').onDelete('cascade'))
      // The tick this run is for: one row per schedule, tick and attempt is what makes a tick run once in a cluster.
      .addColumn('scheduled_at', pagedAt, (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('cron', 'manual', 'retry')`))
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'running', 'completed', 'failed', 'timed_out', 'skipped')`))
      .addColumn('node', 'text')
      .addColumn('started_at', pagedAt)
      .addColumn('finished_at', pagedAt)
      .addColumn('duration_ms', 'integer')
      .addColumn('error', 'text')
      .addColumn('output', 'jsonb')
      .addUniqueConstraint('schedule_runs_tick', ['schedule', 'scheduled_at', 'attempt'])
      .execute()
    await db.schema.createIndex('schedule_runs_recent').on('schedule_runs').columns(['schedule', 'scheduled_at desc', 'id desc']).execute()
  },
}
