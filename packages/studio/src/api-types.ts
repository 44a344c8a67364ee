/**
 * The admin API's request and answer shapes as TypeScript types, for clients
 * (the browser UI imports these with `import type`): derived from the route
 * schemas, so they cannot drift from what the API validates and answers.
 */
export type { LlmItem, LlmCreateBody, LlmUpdateBody } from './resources/llms.js'
export type { AppItem, AppCreateBody, AppUpdateBody } from './resources/apps.js'
export type { UserItem, UserCreateBody, UserUpdateBody } from './resources/users.js'
export type { GroupItem, GroupCreateBody, GroupUpdateBody, GroupGrantsBody } from './resources/groups.js'
export type { ModelPriceItem, ModelPriceBody } from './resources/prices.js'
export type { MyAppCreateBody } from './resources/my-apps.js'
export type { BudgetItem, BudgetCreateBody, BudgetUpdateBody } from './resources/budgets.js'
export type { MyUsageItem } from './resources/my-usage.js'
export type { AppKeyItem, IssuedKeyItem, RotatedKeyItem } from './resources/app-keys.js'
export type { MeItem, LoginAnswer } from './resources/auth-routes.js'
export type { PluginItem, PluginInstallBody, PluginUpdateBody, PluginStatusItem, PluginLogLine } from './resources/plugins.js'
export type { Scope } from '@plugboard/proto'
export type { UiExtensionItem, PortalExtensionsAnswer } from './resources/ui-extensions.js'
export type { ToolItem, ToolOperationItem, ToolCreateBody, ToolCallBody, ToolCallAnswer } from './resources/tools.js'
export type { DatasourceItem, DatasourceCreateBody, DocumentListItem, ChunkMatchItem } from './resources/datasources.js'
export type { ScheduleItem, ScheduleRunItem } from './scheduler/schedule-routes.js'
export type { StudioErrorBody, ErrorDetail, StudioErrorCode } from './errors.js'
export type { ChatTargetListItem, ConversationItem, ConversationDetail, ChatMessageItem, ConversationCreateBody } from './chat/chat-routes.js'
export type { ChatEvent, ReplyPart } from './chat/chat-events.js'
export type { UsageAnswerItem, LatencyAnswerItem, UsageQueryItem, LatencyQueryItem, RequestLogItem, RequestLogQueryItem } from './resources/analytics.js'
export type { AuditEntryItem, AuditQueryItem } from './resources/audit.js'
