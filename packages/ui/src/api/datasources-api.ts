import type { ChunkMatchItem, DatasourceCreateBody, DatasourceItem, DocumentListItem } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const id = (value: string) => encodeURIComponent(value)

/** Markdown by its extension; anything else is sent as plain text, and Studio refuses what is not UTF-8. */
function documentType(file: File): 'text/markdown' | 'text/plain' {
  return /\.(md|markdown)$/i.test(file.name) || file.type === 'text/markdown' ? 'text/markdown' : 'text/plain'
}

/** The datasource calls of the admin API: datasources, their documents, and searching them. */
export const datasourcesApi = {
  datasources: () => apiRequest<Page<DatasourceItem>>('/datasources?limit=200'),
  datasource: (slug: string) => apiRequest<DatasourceItem>(`/datasources/${id(slug)}`),
  createDatasource: (body: DatasourceCreateBody) => apiRequest<DatasourceItem>('/datasources', { method: 'POST', body }),
  deleteDatasource: (slug: string) => apiRequest<void>(`/datasources/${id(slug)}`, { method: 'DELETE' }),
  documents: (slug: string) => apiRequest<Page<DocumentListItem>>(`/datasources/${id(slug)}/documents?limit=200`),
  /** Sends the file's bytes as they are (Studio checks they are UTF-8 and within its size limit), named after the file. */
  upload: (slug: string, file: File) =>
    apiRequest<DocumentListItem>(`/datasources/${id(slug)}/documents?name=${id(file.name)}`, { method: 'POST', body: file, contentType: documentType(file) }),
  deleteDocument: (slug: string, documentId: string) => apiRequest<void>(`/datasources/${id(slug)}/documents/${id(documentId)}`, { method: 'DELETE' }),
  search: (slug: string, query: string) => apiRequest<{ items: ChunkMatchItem[] }>(`/datasources/${id(slug)}/query`, { method: 'POST', body: { query } }),
}
