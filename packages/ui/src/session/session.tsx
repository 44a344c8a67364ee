import type { MeItem } from '@plugboard/studio/api-types'
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { Navigate, useLocation, useNavigate } from 'react-router'
import { adminApi } from '../api/admin-api'
import { isSignedOut } from '../api/api-error'
import { onSessionLost } from '../api/client'
import { discardAllDrafts } from '../forms/draft'
import { signInPath } from './sign-in-path'

interface Session {
  /** undefined: not known yet; null: signed out. */
  user: MeItem | null | undefined
  /** Set when a call answered 401 while someone was signed in: the session ended under them. */
  ended: boolean
  /** Set by signing out: the next sign-in starts at that user's home, not on the page the last one left (it may be another role's). */
  signedOut: boolean
  /** Why the signed-in user could not be read (Studio down), if it could not. */
  problem: string | undefined
  load(): void
  signedIn(user: MeItem): void
  signOut(): Promise<void>
}

const SessionContext = createContext<Session | undefined>(undefined)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (!session) throw new Error('useSession is used outside <SessionProvider>')
  return session
}

/**
 * Who is signed in. When a call answers 401 while someone was signed in,
 * the session ended under them: the UI goes to sign-in and comes back to
 * the same page afterwards (forms keep their drafts, see `useDraft`).
 */
export function SessionProvider(props: { children: ReactNode }) {
  const [user, setUser] = useState<MeItem | null | undefined>(undefined)
  const [ended, setEnded] = useState(false)
  const [signedOut, setSignedOut] = useState(false)
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const navigate = useNavigate()
  const signedInBefore = useRef(false)

  // Only the state changes here: RequireSession, rendering next, sends the user to sign-in.
  useEffect(() => {
    onSessionLost(() => {
      setEnded(signedInBefore.current)
      signedInBefore.current = false
      setUser(null)
    })
    return () => onSessionLost(undefined)
  }, [])

  const load = useCallback(() => {
    setProblem(undefined)
    adminApi.me().then(
      (me) => {
        signedInBefore.current = true
        setUser(me)
      },
      (error: Error) => (isSignedOut(error) ? setUser(null) : setProblem(error.message)),
    )
  }, [])
  const signedIn = useCallback((me: MeItem) => {
    signedInBefore.current = true
    setEnded(false)
    setSignedOut(false)
    setUser(me)
  }, [])
  const signOut = useCallback(async () => {
    // A call still under way when the session ends answers 401: that is this sign-out, not a session lost under the user.
    signedInBefore.current = false
    try {
      await adminApi.signOut()
    } finally {
      discardAllDrafts()
      setEnded(false)
      // The router applies navigate in a transition, after this render: RequireSession, still mounted, sees the user gone first.
      setSignedOut(true)
      setUser(null)
      navigate('/sign-in')
    }
  }, [navigate])

  const session = useMemo(() => ({ user, ended, signedOut, problem, load, signedIn, signOut }), [user, ended, signedOut, problem, load, signedIn, signOut])
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>
}

/** Shows its children to a signed-in user; sends anyone else to sign-in, and back here afterwards. */
export function RequireSession(props: { children: ReactNode }) {
  const { user, ended, signedOut, problem, load } = useSession()
  const location = useLocation()
  useEffect(() => {
    if (user === undefined) load()
  }, [user, load])
  if (problem) return <p className="error" role="alert">{problem}</p>
  if (user === undefined) return <p className="loading">Loading…</p>
  if (user === null) return <Navigate to={signedOut ? '/sign-in' : signInPath(location.pathname + location.search, ended)} replace />
  return props.children
}
