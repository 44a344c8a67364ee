import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'
import type { NativeApi } from '@plugboard/gateway'

/** A timestamp column: a Date is read; a Date or an ISO string is written. */
type Timestamp = ColumnType<Date, Date | string, Date | string>
/** Set by the database when omitted. */
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
/** A JSON column: written as its JSON text. */
type Json<T> = ColumnType<T, string, string>

/** Columns every versioned object has. */
interface Versioned {
  version: Generated<number>
  created_at: CreatedAt
  updated_at: CreatedAt
}

export type Role = 'admin' | 'portal'

export interface UsersTable extends Versioned {
  id: string
  email: string
  name: string
  role: Role
  password_hash: string | null
  disabled: Generated<boolean>
}

export interface GroupsTable extends Versioned {
  id: string
  name: string
  description: Generated<string>
}

export interface GroupMembersTable {
  group_id: string
  user_id: string
}

export type GrantKind = 'llm' | 'tool' | 'datasource'

export interface GroupGrantsTable {
  group_id: string
  kind: GrantKind
  target_id: string
}

export interface SessionsTable {
  id_hash: string
  user_id: string
  csrf_token: string
  created_at: CreatedAt
  expires_at: Timestamp
}

export interface ApiTokensTable {
  id: string
  user_id: string
  name: string
  token_hash: string
  hint: string
  created_at: CreatedAt
  expires_at: Timestamp | null
  last_used_at: Timestamp | null
}

export interface MockSettings {
  latencyMs?: number
  chunkDelayMs?: number
  completionTokens?: number
  chunks?: number
}

export interface LlmsTable extends Versioned {
  id: string
  slug: string
  name: string
  description: Generated<string>
  vendor: string
  base_url: Generated<string>
  api_key_encrypted: string | null
  api_key_hint: string | null
  models: Json<string[]>
  default_model: string | null
  mock: Json<MockSettings | null> | null
  /** null: the vendor's default (the gateway resolves it). */
  native_apis: Json<NativeApi[] | null> | null
  enabled: Generated<boolean>
}

export interface AppsTable extends Versioned {
  id: string
  slug: string
  name: string
  owner_id: string | null
  metadata: Json<Record<string, unknown>>
  enabled: Generated<boolean>
}

export interface AppLlmsTable {
  app_id: string
  llm_id: string
}

export interface AppKeysTable {
  id: string
  app_id: string
  key_hash: string
  hint: string
  created_at: CreatedAt
  expires_at: Timestamp | null
  revoked_at: Timestamp | null
}

export interface ModelPricesTable extends Versioned {
  model: string
  input: number
  output: number
}

export interface BudgetsTable extends Versioned {
  id: string
  app_id: string | null
  llm_id: string | null
  limit_usd: number
  period: 'monthly' | 'custom'
  period_days: number | null
  anchor: CreatedAt
  thresholds: Json<number[]>
  enabled: Generated<boolean>
}

export interface BudgetUsageTable {
  budget_id: string
  period_start: Timestamp
  spent: Generated<number>
}

export interface BudgetAlertsTable {
  budget_id: string
  period_start: Timestamp
  threshold: number
  spent: number
  at: CreatedAt
}

export interface ToolsTable extends Versioned {
  id: string
  slug: string
  name: string
  description: Generated<string>
  base_url: string
  spec: Json<Record<string, unknown>>
  auth: Json<ToolAuth>
  credential_encrypted: string | null
  credential_hint: string | null
}

/** How a tool's credential is sent: `Authorization: Bearer`, a named header, or a query parameter. */
export type ToolAuth = { type: 'none' } | { type: 'bearer' } | { type: 'header'; name: string } | { type: 'query'; name: string }

export interface DatasourcesTable extends Versioned {
  id: string
  slug: string
  name: string
  description: Generated<string>
  language: Generated<string>
}

export interface DocumentsTable {
  id: string
  datasource_id: string
  name: string
  content_type: string
  bytes: number
  chunks: number
  created_at: CreatedAt
}

export interface ChunksTable {
  id: Generated<string>
  document_id: string
  datasource_id: string
  ordinal: number
  content: string
  search: unknown
}

export interface RequestsTable {
  id: Generated<string>
  at: Timestamp
  request_id: string
  api: string
  app_id: string | null
  user_id: string | null
  llm: string | null
  model: string | null
  status: number
  error_code: string | null
  prompt_tokens: number
  completion_tokens: number
  cost: number
  latency_ms: number
  streamed: boolean
  aborted: boolean
}

export type ActorType = 'user' | 'token' | 'plugin' | 'system'

export interface AuditLogTable {
  id: Generated<string>
  at: CreatedAt
  actor_type: ActorType
  actor_id: string | null
  actor_name: string
  action: string
  object_type: string
  object_id: string | null
  before: Json<unknown> | null
  after: Json<unknown> | null
  request_id: string | null
}

export interface PluginsTable extends Versioned {
  id: string
  name: string
  /** What an admin set: source, config, granted scopes and topics, bindings (see plugins/plugin-spec.ts). */
  spec: Json<Record<string, unknown>>
  enabled: Generated<boolean>
  /** What the plugin declared when it was installed or last (re)started; null for one that serves none. */
  manifest: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
  config_schema: ColumnType<unknown, string | null | undefined, string | null>
  pending_scopes: ColumnType<string[], string | undefined, string>
  revision: Generated<number>
}

export interface PluginKvTable {
  namespace: string
  key: string
  value: Buffer
  expires_at: Date | null
}

/** Bytes a KV namespace holds, kept by the `plugin_kv_account` trigger (never written by code). */
export interface PluginKvUsageTable {
  namespace: string
  bytes: ColumnType<string, never, never>
}

export interface SchedulesTable {
  id: string
  plugin_id: string
  schedule_id: string
  name: string
  cron: string
  timezone: Generated<string>
  timeout_seconds: Generated<number>
  config: Json<unknown> | null
  enabled: Generated<boolean>
  retries: Generated<number>
  retry_backoff_ms: Generated<number>
  created_at: CreatedAt
  updated_at: CreatedAt
}

export type ScheduleRunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timed_out' | 'skipped'

export interface ScheduleRunsTable {
  id: string
  schedule: string
  scheduled_at: Timestamp
  attempt: Generated<number>
  trigger: 'cron' | 'manual' | 'retry'
  status: ScheduleRunStatus
  node: string | null
  started_at: Timestamp | null
  finished_at: Timestamp | null
  duration_ms: number | null
  error: string | null
  output: Json<unknown> | null
}

export type ConversationTargetKind = 'agent' | 'llm'

export interface ConversationsTable {
  id: string
  user_id: string
  title: string
  target_kind: ConversationTargetKind
  /** The agent plugin's name or the LLM's slug. */
  target_name: string
  created_at: CreatedAt
  updated_at: CreatedAt
  /** Until when a streaming reply holds the conversation (null: none). */
  replying_until: Generated<Date | null>
}

export interface ConversationMessagesTable {
  id: string
  seq: ColumnType<string, never, never>
  conversation: string
  role: 'user' | 'assistant'
  content: string
  /** Thinking, tool calls, tool results and the error that ended the reply (chat/chat-events.ts `ReplyPart`). */
  parts: ColumnType<unknown[], string | undefined, string>
  created_at: CreatedAt
}

export interface SettingsTable {
  key: string
  value: Json<unknown>
}

/** Studio's schema, as Kysely types it (the migrations in ./migrations create it). */
export interface StudioSchema {
  users: UsersTable
  groups: GroupsTable
  group_members: GroupMembersTable
  group_grants: GroupGrantsTable
  sessions: SessionsTable
  api_tokens: ApiTokensTable
  llms: LlmsTable
  apps: AppsTable
  app_llms: AppLlmsTable
  app_keys: AppKeysTable
  model_prices: ModelPricesTable
  budgets: BudgetsTable
  budget_usage: BudgetUsageTable
  budget_alerts: BudgetAlertsTable
  tools: ToolsTable
  datasources: DatasourcesTable
  documents: DocumentsTable
  chunks: ChunksTable
  requests: RequestsTable
  audit_log: AuditLogTable
  plugins: PluginsTable
  plugin_kv: PluginKvTable
  plugin_kv_usage: PluginKvUsageTable
  schedules: SchedulesTable
  schedule_runs: ScheduleRunsTable
  settings: SettingsTable
  conversations: ConversationsTable
  conversation_messages: ConversationMessagesTable
}

export type Row<T extends keyof StudioSchema> = Selectable<StudioSchema[T]>
export type NewRow<T extends keyof StudioSchema> = Insertable<StudioSchema[T]>
