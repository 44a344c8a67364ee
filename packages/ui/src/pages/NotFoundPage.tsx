import { Link } from 'react-router'

/** Any path of the UI that is no page of it. */
export default function NotFoundPage() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/llms">Go to the LLMs</Link>.
      </p>
    </>
  )
}
