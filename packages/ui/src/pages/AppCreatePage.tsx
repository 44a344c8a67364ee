import { useNavigate } from 'react-router'
import { ADMIN_APPS, type AppScope } from '../api/app-scope'
import { AppForm } from '../forms/AppForm'

/** Adds an app and the LLMs it may call; its keys are issued on its page. */
export default function AppCreatePage({ scope = ADMIN_APPS }: { scope?: AppScope }) {
  const navigate = useNavigate()
  return (
    <>
      <h1>New app</h1>
      <AppForm scope={scope} onSaved={(app) => navigate(`${scope.home}/${encodeURIComponent(app.id)}`)} />
    </>
  )
}
