/**
 * The admin API's request and answer shapes as TypeScript types, for clients
 * (the browser UI imports these with `import type`): derived from the route
 * schemas, so they cannot drift from what the API validates and answers.
 */
export type { LlmItem, LlmCreateBody } from './resources/llms.js'
export type { AppItem, AppCreateBody } from './resources/apps.js'
export type { MyAppCreateBody } from './resources/my-apps.js'
export type { BudgetItem } from './resources/budgets.js'
export type { MyUsageItem } from './resources/my-usage.js'
export type { AppKeyItem, IssuedKeyItem } from './resources/app-keys.js'
export type { MeItem, LoginAnswer } from './resources/auth-routes.js'
export type { UiExtensionItem, PortalExtensionsAnswer } from './resources/ui-extensions.js'
export type { StudioErrorBody, ErrorDetail, StudioErrorCode } from './errors.js'
export type { ChatTargetListItem, ConversationItem, ConversationDetail, ChatMessageItem, ConversationCreateBody } from './chat/chat-routes.js'
export type { ChatEvent, ReplyPart } from './chat/chat-events.js'
