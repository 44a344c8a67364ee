import type { AppKeyItem, IssuedKeyItem } from '@plugboard/studio/api-types'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ADMIN_APPS, type AppScope } from '../api/app-scope'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { ConfirmButton } from '../components/ConfirmButton'
import { DeleteButton } from '../components/DeleteButton'
import { ErrorMessage } from '../components/form-controls'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { PluginTabs } from '../plugins/PluginTabs'

/** A key just issued: its secret, shown this once, with a button that copies it. */
function IssuedKey(props: { issued: IssuedKeyItem; onDone: () => void }) {
  const [copied, setCopied] = useState<{ state: 'idle' | 'copied' } | { state: 'failed'; message: string }>({ state: 'idle' })
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.issued.key)
      setCopied({ state: 'copied' })
    } catch (error) {
      setCopied({ state: 'failed', message: `The key could not be copied (${(error as Error).message}): select it and copy it by hand.` })
    }
  }
  return (
    <section className="card issued" aria-label="New key">
      <h2>New key</h2>
      <p>Copy it now: it is shown only this once, and Studio keeps only its hash.</p>
      <p className="secret">
        <code>{props.issued.key}</code>
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void copy()}>
          {copied.state === 'copied' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
      {copied.state === 'failed' && <ErrorMessage message={copied.message} />}
    </section>
  )
}

/** A key's row: rotating it (a new key shown once, this one revoked at once) or revoking it, each after a confirmation. */
function KeyRow(props: { scope: AppScope; appId: string; item: AppKeyItem; onRevoked: (keyId: string) => void; onRotated: (issued: IssuedKeyItem) => void }) {
  const { item } = props
  return (
    <tr>
      <td>
        <code>{item.hint}</code>
      </td>
      <td>{item.status}</td>
      <td>{new Date(item.createdAt).toLocaleString()}</td>
      <td>
        {item.status === 'active' && (
          <div className="actions">
            <ConfirmButton label="Rotate" target={`key ${item.hint}`} busyLabel="Rotating…" onConfirm={async () => props.onRotated(await props.scope.api.rotateKey(props.appId, item.id))} />
            <ConfirmButton
              label="Revoke"
              target={`key ${item.hint}`}
              busyLabel="Revoking…"
              onConfirm={async () => {
                await props.scope.api.revokeKey(props.appId, item.id)
                props.onRevoked(item.id)
              }}
            />
          </div>
        )}
      </td>
    </tr>
  )
}

/** An app: what it may call, editing and deleting it (the admin's), and its keys (issue, rotate, revoke). */
export default function AppDetailPage({ scope = ADMIN_APPS }: { scope?: AppScope }) {
  const appId = useParams().appId ?? ''
  const navigate = useNavigate()
  const { loaded: app, reload: reloadApp } = useApiData(() => scope.api.app(appId), [scope, appId])
  const { loaded: keys, reload } = useApiData(() => scope.api.appKeys(appId), [scope, appId])
  const [issued, setIssued] = useState<IssuedKeyItem | undefined>(undefined)
  const [issuing, setIssuing] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  async function issue() {
    setIssuing(true)
    setError(undefined)
    try {
      setIssued(await scope.api.issueKey(appId))
      reload()
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setIssuing(false)
    }
  }

  function showRotated(rotated: IssuedKeyItem) {
    setIssued(rotated)
    reload()
  }

  // A key revoked no longer works: its "copy it now" panel goes with it.
  function forgetRevoked(keyId: string) {
    setIssued((shown) => (shown?.id === keyId ? undefined : shown))
    reload()
  }

  if (app.state === 'loading') return <p className="loading">Loading…</p>
  if (app.state === 'failed')
    return (
      <>
        <p>
          <Link to={scope.home}>← {scope.title}</Link>
        </p>
        <ErrorMessage message={app.message} />
      </>
    )
  return (
    <>
      <p>
        <Link to={scope.home}>← {scope.title}</Link>
      </p>
      <header className="page-header">
        <h1>{app.data.name}</h1>
        {scope.manage && (
          <Link className="button" to={`${scope.home}/${encodeURIComponent(appId)}/edit`}>
            Edit
          </Link>
        )}
      </header>
      <dl className="facts">
        <dt>Slug</dt>
        <dd>{app.data.slug}</dd>
        <dt>Allowed LLMs</dt>
        <dd>{app.data.allowedLlms.join(', ') || 'none'}</dd>
        <dt>Enabled</dt>
        <dd>{app.data.enabled ? 'yes' : 'no'}</dd>
      </dl>
      {scope.manage && (
        <div className="actions">
          <DeleteButton key={app.data.version} what="app" name={app.data.slug} remove={() => directoryApi.deleteApp(app.data.id, app.data.version)} onDeleted={() => navigate(scope.home)} onReload={reloadApp} />
        </div>
      )}
      <header className="page-header">
        <h2>Keys</h2>
        <button type="button" className="primary" disabled={issuing} onClick={() => void issue()}>
          {issuing ? 'Issuing…' : 'Issue key'}
        </button>
      </header>
      <ErrorMessage message={error} />
      {issued && <IssuedKey key={issued.id} issued={issued} onDone={() => setIssued(undefined)} />}
      <LoadedView loaded={keys}>
        {({ items }) => (
          <ItemsTable items={items} headers={['Key', 'Status', 'Created', '']} empty="No keys yet.">
            {(item) => <KeyRow key={item.id} scope={scope} appId={appId} item={item} onRevoked={forgetRevoked} onRotated={showRotated} />}
          </ItemsTable>
        )}
      </LoadedView>
      {scope.pluginTabs && <PluginTabs slot="appTabs" target={{ kind: 'app', id: app.data.slug }} />}
    </>
  )
}
