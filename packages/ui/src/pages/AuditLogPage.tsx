import type { AuditEntryItem, AuditQueryItem } from '@plugboard/studio/api-types'
import { analyticsApi } from '../api/analytics-api'
import { FilteredLog } from '../components/FilteredLog'
import { isoTime, type FilterField, type FilterValues } from '../components/FilterForm'
import { ItemsTable } from '../components/ItemsTable'
import { formatTime } from '../components/formats'
import '../analytics/analytics.css'

type Filter = 'from' | 'to' | 'actorType' | 'actorId' | 'action' | 'objectType' | 'objectId'

const ACTOR_TYPES: ReadonlyArray<AuditEntryItem['actor']['type']> = ['user', 'token', 'plugin', 'system']
const FIELDS: ReadonlyArray<FilterField<Filter>> = [
  { name: 'from', label: 'From', kind: 'time' },
  { name: 'to', label: 'To', kind: 'time' },
  { name: 'actorType', label: 'Who (kind)', kind: 'choice', options: [{ value: '', label: 'any' }, ...ACTOR_TYPES.map((type) => ({ value: type, label: type }))] },
  { name: 'actorId', label: 'Who (id)', kind: 'text' },
  { name: 'action', label: 'Action', kind: 'text', placeholder: 'create, update, rotate_key…' },
  { name: 'objectType', label: 'Object type', kind: 'text', placeholder: 'llm, app, user…' },
  { name: 'objectId', label: 'Object id', kind: 'text' },
]
const NO_FILTER: FilterValues<Filter> = { from: '', to: '', actorType: '', actorId: '', action: '', objectType: '', objectId: '' }

function loadAudit(filters: FilterValues<Filter>, limit: number, cursor: string | undefined) {
  const query: AuditQueryItem = {
    from: isoTime(filters.from),
    to: isoTime(filters.to),
    actorType: (filters.actorType || undefined) as AuditQueryItem['actorType'],
    actorId: filters.actorId,
    action: filters.action,
    objectType: filters.objectType,
    objectId: filters.objectId,
  }
  return analyticsApi.audit({ ...query, limit, cursor })
}

/** An entry's before and after, folded: JSON shown as text. */
function Details(props: { entry: AuditEntryItem }) {
  const { before, after } = props.entry
  if (before === null && after === null) return <>—</>
  return (
    <details>
      <summary>{before === null ? 'created' : after === null ? 'deleted' : 'before and after'}</summary>
      {before !== null && <pre aria-label="Before">{JSON.stringify(before, null, 2)}</pre>}
      {after !== null && <pre aria-label="After">{JSON.stringify(after, null, 2)}</pre>}
    </details>
  )
}

/** Every admin write, newest first, a keyset page at a time, filtered as the audit route allows. */
export default function AuditLogPage() {
  return (
    <>
      <h1>Audit log</h1>
      <FilteredLog fields={FIELDS} noFilter={NO_FILTER} load={loadAudit} filterLabel="Audit filters" pagerLabel="Audit log pages">
        {(page) => (
          <div className="log">
            <ItemsTable items={page.items} label="Audit entries" headers={['When', 'Who', 'Action', 'Object', 'Details']} empty="No entries match.">
              {(entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.at)}</td>
                  <td>
                    {entry.actor.name} <span className="hint">({entry.actor.type})</span>
                  </td>
                  <td>{entry.action}</td>
                  <td>
                    {entry.objectType} {entry.objectId && <code>{entry.objectId}</code>}
                  </td>
                  <td>
                    <Details entry={entry} />
                  </td>
                </tr>
              )}
            </ItemsTable>
          </div>
        )}
      </FilteredLog>
    </>
  )
}
