import type { StudioContext } from '../api/context.js'
import type { Api } from '../api/server.js'
import { registerAuthRoutes } from './auth-routes.js'
import { registerBudgetRoutes } from './budgets.js'
import { registerLlmRoutes } from './llms.js'

/** Every admin API route, in one place. */
export function registerRoutes(app: Api, ctx: StudioContext): void {
  registerAuthRoutes(app, ctx)
  registerLlmRoutes(app, ctx)
  registerBudgetRoutes(app, ctx)
}
