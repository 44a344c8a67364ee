import { useNavigate } from 'react-router'
import { UserForm } from '../forms/UserForm'

/** Adds a user: an admin, or a portal user whose groups say which LLMs they may use. */
export default function UserCreatePage() {
  const navigate = useNavigate()
  return (
    <>
      <h1>New user</h1>
      <UserForm onSaved={(user) => navigate(`/users/${encodeURIComponent(user.id)}`)} />
    </>
  )
}
