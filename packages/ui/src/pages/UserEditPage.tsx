import type { GroupItem, UserItem } from '@plugboard/studio/api-types'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { DeleteButton } from '../components/DeleteButton'
import { EditLoader } from '../components/EditLoader'
import { LoadedView } from '../components/LoadedView'
import { SaveFailure } from '../components/SaveFailure'
import { UserForm } from '../forms/UserForm'
import { useSave } from '../forms/use-save'

/** The groups a user is in, each a checkbox: ticking one adds them to the group at once (the group's version as If-Match). */
function UserGroups(props: { user: UserItem }) {
  const { user } = props
  const { loaded, reload } = useApiData(() => directoryApi.groups(), [])
  const save = useSave([])
  const [pending, setPending] = useState<string | undefined>(undefined)

  const toggle = (group: GroupItem, member: boolean) => {
    setPending(group.id)
    void save
      .run(async () => {
        const others = group.members.map((m) => m.id).filter((id) => id !== user.id)
        await directoryApi.setGroupMembers(group.id, member ? [...others, user.id] : others, group.version)
      })
      .then(() => {
        setPending(undefined)
        reload()
      })
  }

  return (
    <section className="card form" aria-label="Groups">
      <h2>Groups</h2>
      <SaveFailure message={save.errors.message} conflict={save.conflict} what="group" onReload={reload} />
      <LoadedView loaded={loaded}>
        {({ items }) =>
          items.length === 0 ? (
            <p className="hint">
              No groups yet: <Link to="/groups/new">create one</Link>.
            </p>
          ) : (
            items.map((group) => (
              <label key={group.id} className="check">
                <input type="checkbox" disabled={save.busy} checked={group.members.some((m) => m.id === user.id)} onChange={(e) => toggle(group, e.target.checked)} />
                {group.name}
                {pending === group.id && save.busy && <span className="hint">Saving…</span>}
              </label>
            ))
          )
        }
      </LoadedView>
    </section>
  )
}

/** A user: their account (role, password, disabled), their groups, deleting them. */
export default function UserEditPage() {
  const userId = useParams().userId ?? ''
  const navigate = useNavigate()
  const [saved, setSaved] = useState(false)
  return (
    <>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <EditLoader load={() => directoryApi.user(userId)} deps={[userId]}>
        {(user, reload) => (
          <>
            <h1>{user.email}</h1>
            {saved && (
              <p className="notice" role="status">
                Saved.
              </p>
            )}
            <UserForm
              user={user}
              onSaved={() => {
                setSaved(true)
                reload()
              }}
              onReload={reload}
            />
            <UserGroups user={user} />
            <div className="actions">
              <DeleteButton what="user" name={user.email} remove={() => directoryApi.deleteUser(user.id, user.version)} onDeleted={() => navigate('/users')} onReload={reload} />
            </div>
          </>
        )}
      </EditLoader>
    </>
  )
}
