import type { DatasourceCreateBody } from '@plugboard/studio/api-types'
import type { FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { datasourcesApi } from '../api/datasources-api'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { useDraft } from '../forms/draft'
import { useSave } from '../forms/use-save'
import './admin-data.css'

const FIELDS = ['slug', 'name', 'description', 'language'] as const
const EMPTY = { slug: '', name: '', description: '', language: '' }

/** Adds a datasource; its documents are uploaded on its page. */
export default function DatasourceCreatePage() {
  const navigate = useNavigate()
  const draft = useDraft('datasource-create', EMPTY)
  const form = draft.values
  const save = useSave(FIELDS)

  function submit(event: FormEvent) {
    event.preventDefault()
    const body: DatasourceCreateBody = {
      slug: form.slug.trim(),
      ...(form.name.trim() && { name: form.name.trim() }),
      ...(form.description.trim() && { description: form.description.trim() }),
      // Studio refuses a language it has no text search configuration for.
      ...(form.language.trim() && { language: form.language.trim() as DatasourceCreateBody['language'] }),
    }
    void save.run(async () => {
      const datasource = await datasourcesApi.createDatasource(body)
      draft.discard()
      navigate(`/datasources/${encodeURIComponent(datasource.slug)}`)
    })
  }

  return (
    <>
      <h1>New datasource</h1>
      <form onSubmit={submit} className="card form" noValidate>
        <ErrorMessage message={save.errors.message} />
        <Field label="Slug" name="slug" error={save.errors.fields.slug} hint="Lower-case letters, digits and dashes; agents and plugins name the datasource by it.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => draft.update({ slug: e.target.value })} />}
        </Field>
        <Field label="Name" name="name" error={save.errors.fields.name} hint="Optional; the slug when empty.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => draft.update({ name: e.target.value })} />}
        </Field>
        <Field label="Description" name="description" error={save.errors.fields.description} hint="Optional; what is in it, as an agent reads it.">
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} rows={2} value={form.description} onChange={(e) => draft.update({ description: e.target.value })} />}
        </Field>
        <Field label="Language" name="language" error={save.errors.fields.language} hint="Optional; the language words are stemmed in (english when empty; simple for none).">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.language} onChange={(e) => draft.update({ language: e.target.value })} />}
        </Field>
        <SubmitButton busy={save.busy} busyLabel="Creating…">
          Create datasource
        </SubmitButton>
      </form>
    </>
  )
}
