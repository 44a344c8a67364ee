import { useState, type ReactNode } from 'react'
import type { Page } from '../api/page'
import { usePagedData } from '../api/use-paged-data'
import { FilterForm, type FilterField, type FilterValues } from './FilterForm'
import { LoadedView } from './LoadedView'
import { PageSizeSelect } from './PageSizeSelect'
import { Pager } from './Pager'

/**
 * A log read a keyset page at a time under its filter form: `load` asks for
 * one page of what the applied filters match; a new filter or page size goes
 * back to the first page.
 */
export function FilteredLog<N extends string, T>(props: {
  fields: ReadonlyArray<FilterField<N>>
  noFilter: FilterValues<N>
  load: (filters: FilterValues<N>, limit: number, cursor: string | undefined) => Promise<Page<T>>
  filterLabel: string
  pagerLabel: string
  children: (page: Page<T>) => ReactNode
}) {
  const [filters, setFilters] = useState(props.noFilter)
  const [pageSize, setPageSize] = useState(50)
  const pages = usePagedData((cursor) => props.load(filters, pageSize, cursor), [filters, pageSize])
  return (
    <>
      <FilterForm fields={props.fields} applied={filters} onApply={setFilters} label={props.filterLabel} loaded={pages.loaded} />
      <div className="paging">
        <Pager paged={pages} label={props.pagerLabel} />
        <PageSizeSelect value={pageSize} onChange={setPageSize} />
      </div>
      <LoadedView loaded={pages.loaded}>{props.children}</LoadedView>
    </>
  )
}
