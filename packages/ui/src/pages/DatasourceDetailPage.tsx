import type { ChunkMatchItem } from '@plugboard/studio/api-types'
import { useRef, useState, type FormEvent } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { datasourcesApi } from '../api/datasources-api'
import { useApiData } from '../api/use-api-data'
import { ConfirmButton } from '../components/ConfirmButton'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { formErrorsOf, requireFilled, type FormErrors } from '../forms/field-errors'
import './admin-data.css'

type Search = { state: 'idle' } | { state: 'searching' } | { state: 'found'; query: string; items: ChunkMatchItem[] } | { state: 'failed'; errors: FormErrors }

function byteSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** A file input and "Upload": the file goes to Studio as it is, and the API's refusal (too large, not UTF-8) shows here. */
function UploadForm(props: { slug: string; onUploaded: () => void }) {
  const input = useRef<HTMLInputElement>(null)
  const [file, setFile] = useState<File | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [done, setDone] = useState<string | undefined>(undefined)

  async function upload(event: FormEvent) {
    event.preventDefault()
    if (!file) return setError('Choose a text or markdown file first.')
    setBusy(true)
    setError(undefined)
    setDone(undefined)
    try {
      const document = await datasourcesApi.upload(props.slug, file)
      setDone(`Uploaded ${document.name}: ${document.chunks} ${document.chunks === 1 ? 'chunk' : 'chunks'} indexed.`)
      setFile(undefined)
      if (input.current) input.current.value = ''
      props.onUploaded()
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card upload" onSubmit={upload} noValidate aria-label="Upload a document">
      <Field label="Document" name="document" hint="Plain text or markdown (.md), UTF-8, at most 5 MB.">
        {(id, describedBy) => <input id={id} ref={input} aria-describedby={describedBy} type="file" accept=".txt,.md,.markdown,text/plain,text/markdown" onChange={(e) => setFile(e.target.files?.[0])} />}
      </Field>
      <SubmitButton busy={busy} busyLabel={file ? `Uploading ${file.name} (${byteSize(file.size)})…` : 'Uploading…'}>
        Upload
      </SubmitButton>
      <ErrorMessage message={error} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
    </form>
  )
}

/** A query box and its ranked matches, each chunk's text shown as text with its document and score. */
function SearchForm(props: { slug: string }) {
  const [query, setQuery] = useState('')
  const [search, setSearch] = useState<Search>({ state: 'idle' })

  async function run(event: FormEvent) {
    event.preventDefault()
    setSearch({ state: 'searching' })
    try {
      requireFilled({ query }, ['query'])
      const { items } = await datasourcesApi.search(props.slug, query)
      setSearch({ state: 'found', query, items })
    } catch (failure) {
      setSearch({ state: 'failed', errors: formErrorsOf(failure, ['query']) })
    }
  }

  return (
    <>
      <form className="card upload" onSubmit={run} noValidate aria-label="Search">
        <Field label="Query" name="query" hint='Words, "quoted phrases", or, and -word to leave out.' error={search.state === 'failed' ? search.errors.fields.query : undefined}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />}
        </Field>
        <SubmitButton busy={search.state === 'searching'} busyLabel="Searching…">
          Search
        </SubmitButton>
      </form>
      {search.state === 'failed' && <ErrorMessage message={search.errors.message} />}
      {search.state === 'found' &&
        (search.items.length === 0 ? (
          <p>Nothing matches “{search.query}”.</p>
        ) : (
          <ol className="matches" aria-label="Search results">
            {search.items.map((match) => (
              <li key={`${match.documentId}:${match.ordinal}`} className="card match">
                <p>
                  <strong>{match.documentName}</strong> <span className="hint">chunk {match.ordinal + 1} · score {match.score.toFixed(3)}</span>
                </p>
                <p className="snippet">{match.content}</p>
              </li>
            ))}
          </ol>
        ))}
    </>
  )
}

/** A datasource: its documents (upload, delete), searching it, and deleting it. */
export default function DatasourceDetailPage() {
  const slug = useParams().datasourceSlug ?? ''
  const navigate = useNavigate()
  const { loaded: datasource, reload: reloadDatasource } = useApiData(() => datasourcesApi.datasource(slug), [slug])
  const { loaded: documents, reload: reloadDocuments } = useApiData(() => datasourcesApi.documents(slug), [slug])
  const changed = () => {
    reloadDatasource()
    reloadDocuments()
  }
  return (
    <>
      <p>
        <Link to="/datasources">← Datasources</Link>
      </p>
      <LoadedView loaded={datasource}>
        {(item) => (
          <>
            <header className="page-header">
              <h1>{item.name}</h1>
              <ConfirmButton
                label="Delete"
                target={`datasource ${item.slug}`}
                busyLabel="Deleting…"
                onConfirm={async () => {
                  await datasourcesApi.deleteDatasource(item.slug)
                  navigate('/datasources')
                }}
              />
            </header>
            {item.description && <p className="description">{item.description}</p>}
            <dl className="facts">
              <dt>Slug</dt>
              <dd>{item.slug}</dd>
              <dt>Language</dt>
              <dd>{item.language}</dd>
              <dt>Documents</dt>
              <dd>
                {item.documents} ({item.chunks} chunks)
              </dd>
            </dl>
            <h2 className="section">Search</h2>
            <SearchForm slug={item.slug} />
            <h2 className="section">Documents</h2>
            <UploadForm slug={item.slug} onUploaded={changed} />
            <LoadedView loaded={documents}>
              {({ items }) => (
                <ItemsTable items={items} headers={['Name', 'Type', 'Size', 'Chunks', 'Uploaded', '']} empty="No documents yet." label="Documents">
                  {(document) => (
                    <tr key={document.id}>
                      <td>{document.name}</td>
                      <td>{document.contentType}</td>
                      <td>{byteSize(document.bytes)}</td>
                      <td>{document.chunks}</td>
                      <td>{new Date(document.createdAt).toLocaleString()}</td>
                      <td>
                        <ConfirmButton
                          label="Delete"
                          target={`document ${document.name}`}
                          busyLabel="Deleting…"
                          onConfirm={async () => {
                            await datasourcesApi.deleteDocument(item.slug, document.id)
                            changed()
                          }}
                        />
                      </td>
                    </tr>
                  )}
                </ItemsTable>
              )}
            </LoadedView>
          </>
        )}
      </LoadedView>
    </>
  )
}
