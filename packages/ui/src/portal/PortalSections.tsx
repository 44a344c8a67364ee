import { NavLink } from 'react-router'
import { PortalPluginNav } from '../plugins/PluginNav'

/** The portal's sections in the sidebar: a portal user's own apps, the LLMs they may use, what they spent, chat, and the plugin pages they may see. */
export function PortalSections() {
  return (
    <>
      <ul>
        <li>
          <NavLink to="/portal/apps">My apps</NavLink>
        </li>
        <li>
          <NavLink to="/portal/llms">My LLMs</NavLink>
        </li>
        <li>
          <NavLink to="/portal/usage">Usage &amp; budget</NavLink>
        </li>
        <li>
          <NavLink to="/portal/chat">Chat</NavLink>
        </li>
      </ul>
      <PortalPluginNav />
    </>
  )
}
