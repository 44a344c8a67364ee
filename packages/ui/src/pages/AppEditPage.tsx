import { Link, useNavigate, useParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { ADMIN_APPS } from '../api/app-scope'
import { EditLoader } from '../components/EditLoader'
import { AppForm } from '../forms/AppForm'

/** Edits one of the admin's apps in the form that creates one. */
export default function AppEditPage() {
  const appId = useParams().appId ?? ''
  const navigate = useNavigate()
  const back = `/apps/${encodeURIComponent(appId)}`
  return (
    <>
      <p>
        <Link to={back}>← Back to the app</Link>
      </p>
      <h1>Edit app</h1>
      <EditLoader load={() => adminApi.app(appId)} deps={[appId]}>
        {(app, reload) => <AppForm scope={ADMIN_APPS} app={app} onSaved={() => navigate(back)} onReload={reload} />}
      </EditLoader>
    </>
  )
}
