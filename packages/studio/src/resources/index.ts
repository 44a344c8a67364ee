import type { StudioContext } from '../api/context.js'
import type { Api } from '../api/server.js'
import type { StudioPlugins } from '../plugins/studio-plugins.js'
import { registerAnalyticsRoutes } from './analytics.js'
import { registerAuditRoutes } from './audit.js'
import { registerAppRoutes } from './apps.js'
import { registerAuthRoutes } from './auth-routes.js'
import { registerBudgetRoutes } from './budgets.js'
import { registerConfigRoutes } from './config-routes.js'
import { registerDatasourceRoutes } from './datasources.js'
import { registerGroupRoutes } from './groups.js'
import { registerLlmRoutes } from './llms.js'
import { registerMyAppRoutes } from './my-apps.js'
import { registerMyLlmRoutes } from './my-llms.js'
import { registerMyUsageRoutes } from './my-usage.js'
import { registerPluginRoutes } from './plugins.js'
import { registerPortalRpcRoutes } from './portal-rpc.js'
import { registerUiExtensionRoutes } from './ui-extensions.js'
import { registerPriceRoutes } from './prices.js'
import { registerToolRoutes } from './tools.js'
import { registerUserRoutes } from './users.js'

/** Every admin API route, in one place. */
export function registerRoutes(app: Api, ctx: StudioContext, plugins: StudioPlugins): void {
  registerAuthRoutes(app, ctx)
  registerLlmRoutes(app, ctx)
  registerConfigRoutes(app, ctx)
  registerUserRoutes(app, ctx)
  registerGroupRoutes(app, ctx)
  registerMyLlmRoutes(app, ctx)
  registerAppRoutes(app, ctx)
  registerMyAppRoutes(app, ctx)
  registerMyUsageRoutes(app, ctx)
  registerPriceRoutes(app, ctx)
  registerBudgetRoutes(app, ctx)
  registerToolRoutes(app, ctx)
  registerDatasourceRoutes(app, ctx)
  registerAnalyticsRoutes(app, ctx)
  registerAuditRoutes(app, ctx)
  registerPluginRoutes(app, ctx, plugins)
  registerUiExtensionRoutes(app, ctx)
  registerPortalRpcRoutes(app, ctx, plugins)
}
