import type { PluginItem, PluginUpdateBody, Scope } from '@plugboard/studio/api-types'
import { useState } from 'react'
import { pluginsApi } from '../api/plugins-api'
import { ErrorMessage } from '../components/form-controls'
import { objectHookDescription, SCOPE_DESCRIPTIONS, TOPIC_DESCRIPTIONS } from './grant-descriptions'

/** One thing the manifest asks for, as a checkbox: ticking grants it, unticking revokes it. */
interface Grant {
  key: string
  label: string
  description: string
  granted: boolean
  pending: boolean
  /** Sends the grant (`true`) or the revocation; answers the plugin as stored after it. */
  set: (grant: boolean) => Promise<PluginItem>
}

const toggled = (list: readonly string[], item: string, on: boolean) => (on ? [...new Set([...list, item])] : list.filter((entry) => entry !== item))

/** Every grant the plugin asks for: Service API scopes, event topic patterns, object hook types. */
function grantsOf(plugin: PluginItem): Grant[] {
  const { requested, granted, name } = plugin
  const patch = (body: PluginUpdateBody) => pluginsApi.update(name, body)
  const scopes = requested.scopes.map((scope): Grant => ({
    key: `scope:${scope}`,
    label: scope,
    description: SCOPE_DESCRIPTIONS[scope as Scope] ?? 'A scope this version of the dashboard does not know',
    granted: granted.scopes.includes(scope),
    pending: plugin.pendingScopes.includes(scope),
    set: (on) => (on ? pluginsApi.grantScope(name, scope as Scope) : pluginsApi.revokeScope(name, scope as Scope)),
  }))
  const topics = (['publish', 'subscribe'] as const).flatMap((direction) =>
    requested.topics[direction].map((pattern): Grant => ({
      key: `${direction}:${pattern}`,
      label: `${direction} ${pattern}`,
      description: TOPIC_DESCRIPTIONS[direction](pattern),
      granted: granted.topics[direction].includes(pattern),
      pending: false,
      set: (on) => patch({ topics: { [direction]: toggled(granted.topics[direction], pattern, on) } }),
    })),
  )
  const objectHooks = requested.objectHooks.map((type): Grant => ({
    key: `objectHooks:${type}`,
    label: `${type} hooks`,
    description: objectHookDescription(type),
    granted: granted.objectHooks.includes(type),
    pending: false,
    set: (on) => patch({ objectHooks: toggled(granted.objectHooks, type, on) as PluginUpdateBody['objectHooks'] }),
  }))
  return [...scopes, ...topics, ...objectHooks]
}

/** What the plugin asks for, each a checkbox the admin ticks to grant and unticks to revoke; Studio enforces the grant. */
export function PluginGrants(props: { plugin: PluginItem; onChanged: (plugin: PluginItem) => void }) {
  // The box shows what was asked for while Studio answers.
  const [saving, setSaving] = useState<{ key: string; on: boolean } | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const grants = grantsOf(props.plugin)

  async function set(grant: Grant, on: boolean) {
    setSaving({ key: grant.key, on })
    setError(undefined)
    try {
      props.onChanged(await grant.set(on))
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setSaving(undefined)
    }
  }

  return (
    <section className="card grants" aria-label="Requested permissions">
      <h2>Requested permissions</h2>
      {grants.length === 0 ? (
        <p>This plugin asks for no permissions.</p>
      ) : (
        <>
          <p className="hint">Tick what you grant; the plugin may use only what is ticked. Untick to revoke: its next call is refused.</p>
          <ErrorMessage message={error} />
          <ul className="grant-list">
            {grants.map((grant) => (
              <li key={grant.key}>
                <label className="check">
                  <input type="checkbox" checked={saving?.key === grant.key ? saving.on : grant.granted} disabled={saving !== undefined} onChange={(event) => void set(grant, event.target.checked)} />
                  <code>{grant.label}</code>
                  {saving?.key === grant.key && <span className="loading">Saving…</span>}
                  {grant.pending && <span className="badge">requested by the new version</span>}
                </label>
                <p className="hint">{grant.description}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
