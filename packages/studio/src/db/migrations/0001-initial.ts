import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely'

const now = sql`now()`
/**
 * The timestamp of a keyset-paged log: milliseconds, as a JS Date and so a
 * cursor holds it. With Postgres's microseconds, a cursor rounded to the
 * millisecond would skip the rows between it and the row it was taken from.
 */
const pagedAt = sql`timestamptz(3)`

/** The columns of every object the admin API writes: its optimistic-lock version and its timestamps. */
function versioned<T extends string, C extends string>(table: CreateTableBuilder<T, C>) {
  return table
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
}

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'portal')`))
      .addColumn('password_hash', 'text')
      .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .$call(versioned)
      .execute()

    await db.schema
      .createTable('groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .$call(versioned)
      .execute()
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute()
    await db.schema
      .createTable('group_grants')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('llm', 'tool', 'datasource')`))
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_grants_pk', ['group_id', 'kind', 'target_id'])
      .execute()

    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('expires_at', 'timestamptz')
      .addColumn('last_used_at', 'timestamptz')
      .execute()

    await db.schema
      .createTable('llms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('vendor', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('api_key_encrypted', 'text')
      .addColumn('api_key_hint', 'text')
      .addColumn('models', 'jsonb', (c) => c.notNull())
      .addColumn('default_model', 'text')
      .addColumn('mock', 'jsonb')
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .$call(versioned)
      .execute()

    await db.schema
      .createTable('apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .$call(versioned)
      .execute()
    await db.schema
      .createTable('app_llms')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('llm_id', 'text', (c) => c.notNull().references('llms.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('app_llms_pk', ['app_id', 'llm_id'])
      .execute()
    await db.schema
      .createTable('app_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('expires_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .execute()
    await db.schema.createIndex('app_keys_app').on('app_keys').column('app_id').execute()

    await db.schema
      .createTable('model_prices')
      .addColumn('model', 'text', (c) => c.primaryKey())
      .addColumn('input', 'double precision', (c) => c.notNull())
      .addColumn('output', 'double precision', (c) => c.notNull())
      .$call(versioned)
      .execute()

    await db.schema
      .createTable('budgets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.references('apps.id').onDelete('cascade'))
      .addColumn('llm_id', 'text', (c) => c.references('llms.id').onDelete('cascade'))
      .addColumn('limit_usd', 'double precision', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull().check(sql`period in ('monthly', 'custom')`))
      .addColumn('period_days', 'integer')
      .addColumn('anchor', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('thresholds', 'jsonb', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .$call(versioned)
      .addCheckConstraint('budgets_one_target', sql`(app_id is null) <> (llm_id is null)`)
      .execute()
    await db.schema.createIndex('budgets_app').unique().on('budgets').column('app_id').where(sql.ref('app_id'), 'is not', null).execute()
    await db.schema.createIndex('budgets_llm').unique().on('budgets').column('llm_id').where(sql.ref('llm_id'), 'is not', null).execute()
    await db.schema
      .createTable('budget_usage')
      .addColumn('budget_id', 'text', (c) => c.notNull().references('budgets.id').onDelete('cascade'))
      .addColumn('period_start', 'timestamptz', (c) => c.notNull())
      .addColumn('spent', 'double precision', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('budget_usage_pk', ['budget_id', 'period_start'])
      .execute()
    await db.schema
      .createTable('budget_alerts')
      .addColumn('budget_id', 'text', (c) => c.notNull().references('budgets.id').onDelete('cascade'))
      .addColumn('period_start', 'timestamptz', (c) => c.notNull())
      .addColumn('threshold', 'integer', (c) => c.notNull())
      .addColumn('spent', 'double precision', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addPrimaryKeyConstraint('budget_alerts_pk', ['budget_id', 'period_start', 'threshold'])
      .execute()

    await db.schema
      .createTable('tools')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('spec', 'jsonb', (c) => c.notNull())
      .addColumn('auth', 'jsonb', (c) => c.notNull())
      .addColumn('credential_encrypted', 'text')
      .addColumn('credential_hint', 'text')
      .$call(versioned)
      .execute()

    await db.schema
      .createTable('datasources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('language', 'text', (c) => c.notNull().defaultTo('english'))
      .$call(versioned)
      .execute()
    await db.schema
      .createTable('documents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('datasource_id', 'text', (c) => c.notNull().references('datasources.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('chunks', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute()
    await db.schema.createIndex('documents_datasource').on('documents').column('datasource_id').execute()
    await db.schema
      .createTable('chunks')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('document_id', 'text', (c) => c.notNull().references('documents.id').onDelete('cascade'))
      .addColumn('datasource_id', 'text', (c) => c.notNull().references('datasources.id').onDelete('cascade'))
      .addColumn('ordinal', 'integer', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('search', sql`tsvector`, (c) => c.notNull())
      .execute()
    await db.schema.createIndex('chunks_search').on('chunks').using('gin').column('search').execute()
    await db.schema.createIndex('chunks_datasource').on('chunks').columns(['datasource_id', 'document_id']).execute()

    await db.schema
      .createTable('requests')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('at', pagedAt, (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('api', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('user_id', 'text')
      .addColumn('llm', 'text')
      .addColumn('model', 'text')
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cost', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('latency_ms', 'double precision', (c) => c.notNull())
      .addColumn('streamed', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('aborted', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute()
    await db.schema.createIndex('requests_at').on('requests').columns(['at desc', 'id desc']).execute()
    await db.schema.createIndex('requests_app_at').on('requests').columns(['app_id', 'at desc', 'id desc']).execute()
    await db.schema.createIndex('requests_llm_at').on('requests').columns(['llm', 'at desc', 'id desc']).execute()
    // The request log's other filters: a rare model or status (the errors one looks for) would otherwise scan the whole range.
    await db.schema.createIndex('requests_model_at').on('requests').columns(['model', 'at desc', 'id desc']).execute()
    await db.schema.createIndex('requests_status_at').on('requests').columns(['status', 'at desc', 'id desc']).execute()

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('at', pagedAt, (c) => c.notNull().defaultTo(now))
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text', (c) => c.notNull())
      .addColumn('object_id', 'text')
      .addColumn('before', 'jsonb')
      .addColumn('after', 'jsonb')
      .addColumn('request_id', 'text')
      .execute()
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at desc', 'id desc']).execute()
    await db.schema.createIndex('audit_log_object').on('audit_log').columns(['object_type', 'object_id', 'at desc', 'id desc']).execute()

    await db.schema
      .createTable('plugins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('spec', 'jsonb', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .$call(versioned)
      .execute()

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'jsonb', (c) => c.notNull())
      .execute()
  },
}
