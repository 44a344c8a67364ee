import { useNavigate } from 'react-router'
import { GroupForm } from '../forms/GroupForm'

/** Adds a group, with its members and the LLMs they may use. */
export default function GroupCreatePage() {
  const navigate = useNavigate()
  return (
    <>
      <h1>New group</h1>
      <GroupForm onSaved={() => navigate('/groups')} />
    </>
  )
}
