import type { AuditEntryItem, AuditQueryItem } from '@plugboard/studio/api-types'
import { useState } from 'react'
import { analyticsApi } from '../api/analytics-api'
import { usePagedData } from '../api/use-paged-data'
import { FilterForm, isoTime, type FilterField, type FilterValues } from '../components/FilterForm'
import { ItemsTable } from '../components/ItemsTable'
import { PageSizeSelect } from '../components/PageSizeSelect'
import { Pager } from '../components/Pager'
import { formatTime } from '../components/formats'
import { LoadedView } from '../components/LoadedView'
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
  const [filters, setFilters] = useState(NO_FILTER)
  const [pageSize, setPageSize] = useState(50)
  const query: AuditQueryItem = {
    from: isoTime(filters.from),
    to: isoTime(filters.to),
    actorType: (filters.actorType || undefined) as AuditQueryItem['actorType'],
    actorId: filters.actorId,
    action: filters.action,
    objectType: filters.objectType,
    objectId: filters.objectId,
  }
  const pages = usePagedData((cursor) => analyticsApi.audit({ ...query, limit: pageSize, cursor }), [filters, pageSize])
  return (
    <>
      <h1>Audit log</h1>
      <FilterForm fields={FIELDS} applied={filters} onApply={setFilters} label="Audit filters" />
      <div className="paging">
        <Pager paged={pages} label="Audit log pages" />
        <PageSizeSelect value={pageSize} onChange={setPageSize} />
      </div>
      <LoadedView loaded={pages.loaded}>
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
      </LoadedView>
    </>
  )
}
