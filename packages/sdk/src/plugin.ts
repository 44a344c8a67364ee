import type { PluginContext } from './context.js'
import type { Manifest } from './manifest.js'

/**
 * What every plugin extends. Implement the capability interfaces you need
 * (`PreAuthHook`, `ResponseHook`, …) on the subclass; the SDK declares to the
 * host exactly the capabilities whose methods exist.
 *
 * @example
 * class Enricher extends BasePlugin implements PostAuthHook {
 *   readonly manifest = { id: 'enricher', name: 'Enricher', version: '1.0.0' }
 *   postAuth() { return modify({ setHeaders: { 'x-team': 'ml' } }) }
 * }
 * serve(new Enricher())
 */
export abstract class BasePlugin {
  abstract readonly manifest: Manifest
  /** Called once after the host hands over config, runtime and services; throw to refuse the config. */
  initialize?(ctx: PluginContext): void | Promise<void>
  /** Called when the host shuts the plugin down; release resources here. */
  shutdown?(): void | Promise<void>
}
