import type { ToolCreateBody } from '@plugboard/studio/api-types'
import { useState, type ChangeEvent, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { toolsApi } from '../api/tools-api'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { useDraft } from '../forms/draft'
import { useSave } from '../forms/use-save'
import './admin-data.css'

type AuthType = NonNullable<ToolCreateBody['auth']>['type']
const AUTH_TYPES: { type: AuthType; label: string }[] = [
  { type: 'none', label: 'None' },
  { type: 'bearer', label: 'Authorization: Bearer' },
  { type: 'header', label: 'A named header' },
  { type: 'query', label: 'A named query parameter' },
]
const FIELDS = ['slug', 'name', 'description', 'baseUrl', 'spec', 'auth', 'credential'] as const
const EMPTY = { slug: '', name: '', description: '', baseUrl: '', spec: '', authType: 'none' as AuthType, authName: '', credential: '' }

/** What the page after an import shows: that the tool is new, with the operations Studio found. */
export interface ImportedState {
  imported: true
}

/** Imports a tool from an OpenAPI 3 document, pasted (JSON or YAML) or read from a file. */
export default function ToolImportPage() {
  const navigate = useNavigate()
  const draft = useDraft('tool-import', EMPTY, ['credential'])
  const form = draft.values
  const save = useSave(FIELDS)
  const [fileError, setFileError] = useState<string | undefined>(undefined)
  const named = form.authType === 'header' || form.authType === 'query'

  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0]
    setFileError(undefined)
    if (!file) return
    try {
      draft.update({ spec: await file.text() })
    } catch (error) {
      setFileError(`${file.name} could not be read (${(error as Error).message})`)
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    const body: ToolCreateBody = {
      slug: form.slug.trim(),
      spec: form.spec,
      ...(form.name.trim() && { name: form.name.trim() }),
      ...(form.description.trim() && { description: form.description.trim() }),
      ...(form.baseUrl.trim() && { baseUrl: form.baseUrl.trim() }),
      ...(form.authType !== 'none' && { auth: { type: form.authType, ...(named && { name: form.authName.trim() }) } }),
      ...(form.authType !== 'none' && form.credential && { credential: form.credential }),
    }
    void save.run(async () => {
      const tool = await toolsApi.createTool(body)
      draft.discard()
      navigate(`/tools/${encodeURIComponent(tool.slug)}`, { state: { imported: true } satisfies ImportedState })
    })
  }

  return (
    <>
      <h1>Import an OpenAPI document</h1>
      <form onSubmit={submit} className="card form wide" noValidate>
        <ErrorMessage message={save.errors.message} />
        <Field label="Slug" name="slug" error={save.errors.fields.slug} hint="Lower-case letters, digits and dashes; agents and plugins name the tool by it.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => draft.update({ slug: e.target.value })} />}
        </Field>
        <Field label="Name" name="name" error={save.errors.fields.name} hint="Optional; the slug when empty.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => draft.update({ name: e.target.value })} />}
        </Field>
        <Field label="Description" name="description" error={save.errors.fields.description} hint="Optional; what the tool is for, as an agent reads it.">
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} rows={2} value={form.description} onChange={(e) => draft.update({ description: e.target.value })} />}
        </Field>
        <Field label="OpenAPI document" name="spec" error={save.errors.fields.spec} hint="OpenAPI 3.0 or 3.1, as JSON or YAML (at most 1 MB): paste it, or read it from a file below.">
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} rows={14} className="code" spellCheck={false} value={form.spec} onChange={(e) => draft.update({ spec: e.target.value })} />}
        </Field>
        <Field label="Document file" name="spec-file" error={fileError} hint="Its text replaces the document above.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="file" accept=".json,.yaml,.yml,application/json,application/yaml" onChange={(e) => void readFile(e)} />}
        </Field>
        <Field label="Base URL" name="baseUrl" error={save.errors.fields.baseUrl} hint="Optional; the document's first server when empty.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="url" value={form.baseUrl} onChange={(e) => draft.update({ baseUrl: e.target.value })} />}
        </Field>
        <Field label="Credential goes in" name="auth" error={save.errors.fields.auth}>
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={form.authType} onChange={(e) => draft.update({ authType: e.target.value as AuthType })}>
              {AUTH_TYPES.map(({ type, label }) => (
                <option key={type} value={type}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {named && (
          <Field label={form.authType === 'header' ? 'Header name' : 'Query parameter name'} name="authName">
            {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.authName} onChange={(e) => draft.update({ authName: e.target.value })} />}
          </Field>
        )}
        {form.authType !== 'none' && (
          <Field label="Credential" name="credential" error={save.errors.fields.credential} hint="Stored encrypted; never shown again.">
            {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="password" autoComplete="off" value={form.credential} onChange={(e) => draft.update({ credential: e.target.value })} />}
          </Field>
        )}
        <SubmitButton busy={save.busy} busyLabel="Importing…">
          Import
        </SubmitButton>
      </form>
    </>
  )
}
