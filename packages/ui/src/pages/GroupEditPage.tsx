import { Link, useNavigate, useParams } from 'react-router'
import { directoryApi } from '../api/directory-api'
import { DeleteButton } from '../components/DeleteButton'
import { EditLoader } from '../components/EditLoader'
import { GroupForm } from '../forms/GroupForm'

/** A group: its name, members and LLMs in the form that creates one; deleting it. */
export default function GroupEditPage() {
  const groupId = useParams().groupId ?? ''
  const navigate = useNavigate()
  return (
    <>
      <p>
        <Link to="/groups">← Groups</Link>
      </p>
      <EditLoader load={() => directoryApi.group(groupId)} deps={[groupId]}>
        {(group, reload) => (
          <>
            <h1>{group.name}</h1>
            <GroupForm group={group} onSaved={() => navigate('/groups')} onReload={reload} />
            <div className="actions">
              <DeleteButton what="group" name={group.name} remove={() => directoryApi.deleteGroup(group.id, group.version)} onDeleted={() => navigate('/groups')} onReload={reload} />
            </div>
          </>
        )}
      </EditLoader>
    </>
  )
}
