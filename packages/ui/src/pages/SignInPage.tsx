import { useState, type FormEvent } from 'react'
import { useNavigate, useSearchParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { ErrorMessage, SubmitButton } from '../components/form-controls'
import { useSession } from '../session/session'
import { afterSignIn } from '../session/sign-in-path'

/** Sign-in with email and password (the labels and button text are a fixed interface). */
export default function SignInPage() {
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const { signedIn } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const user = await adminApi.signIn(email, password)
      signedIn(user)
      navigate(afterSignIn(params.get('next'), user.role), { replace: true })
    } catch (failure) {
      setError((failure as Error).message)
      setBusy(false)
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card">
        <h1>Sign in to Plugboard</h1>
        {params.get('expired') && <p className="notice">Your session ended. Sign in again to go on; what you typed is kept.</p>}
        <ErrorMessage message={error} />
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <SubmitButton busy={busy} busyLabel="Signing in…">
          Sign in
        </SubmitButton>
      </form>
    </main>
  )
}
