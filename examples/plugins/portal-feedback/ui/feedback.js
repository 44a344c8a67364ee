// The feedback plugin's WebComponents, plain ES modules with no build step:
// served by the plugin at /plugins/{name}/ui/feedback.js and loaded by the
// portal and the dashboard under their CSP. Everything is built with DOM calls
// and user data is set as textContent: a message is shown as the text it is.
// The elements live in the page's DOM, so they use its classes (card, form,
// field, hint, notice, error, primary) rather than styles of their own.
import { contextOf } from './ui-sdk.js'

const MAX_MESSAGE_CHARS = 2000
const RATINGS = ['1 — poor', '2 — fair', '3 — good', '4 — very good', '5 — great']

function element(name, properties = {}, children = []) {
  const node = document.createElement(name)
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'text') node.textContent = value
    else node.setAttribute(key, String(value))
  }
  node.append(...children)
  return node
}

/** What a failed call shows: its code and message, as text. */
const failure = (what, error) => `${what}: [${error.code ?? 'ERROR'}] ${error.message}`

/** Sets `node` to say `text`: a notice, or an error (an alert) when `failed`; hidden when there is nothing to say. */
function say(node, text, failed = false) {
  node.textContent = text
  node.className = failed ? 'error' : 'notice'
  node.setAttribute('role', failed ? 'alert' : 'status')
  node.hidden = !text
}

/** The portal page: a rating and a message, sent over portal RPC `submit`. */
class FeedbackForm extends HTMLElement {
  connectedCallback() {
    this.context = contextOf(this)
    const rating = element('select', { id: 'portal-feedback-rating', name: 'rating', required: '' }, [
      element('option', { value: '', text: 'Choose…' }),
      ...RATINGS.map((label, index) => element('option', { value: index + 1, text: label })),
    ])
    const message = element('textarea', { id: 'portal-feedback-message', name: 'message', rows: 5, maxlength: MAX_MESSAGE_CHARS, required: '' })
    const send = element('button', { type: 'submit', class: 'primary', text: 'Send feedback' })
    this.status = element('p')
    say(this.status, '')
    const form = element('form', { class: 'card form', 'aria-label': 'Feedback' }, [
      element('div', { class: 'field' }, [element('label', { for: rating.id, text: 'Rating' }), rating]),
      element('div', { class: 'field' }, [
        element('label', { for: message.id, text: 'Message' }),
        message,
        element('p', { class: 'hint', text: `Up to ${MAX_MESSAGE_CHARS} characters. Sent as ${this.context.user.email}.` }),
      ]),
      send,
    ])
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.submit(form, send, { rating: Number(rating.value), message: message.value })
    })
    this.replaceChildren(element('h1', { text: 'Send feedback' }), this.status, form)
  }

  async submit(form, send, feedback) {
    send.disabled = true
    send.textContent = 'Sending…'
    say(this.status, '')
    try {
      const sent = await this.context.rpc('submit', feedback)
      form.reset()
      say(this.status, `Thank you: your feedback was sent (${new Date(sent.at).toLocaleString()}).`)
    } catch (error) {
      say(this.status, failure('Your feedback was not sent', error), true)
    } finally {
      send.disabled = false
      send.textContent = 'Send feedback'
    }
  }
}

/** The dashboard page: the newest feedback first, read over admin RPC `list`. */
class FeedbackList extends HTMLElement {
  connectedCallback() {
    this.context = contextOf(this)
    this.status = element('p', { class: 'hint', role: 'status', text: 'Reading the feedback…' })
    this.refreshButton = element('button', { type: 'button', text: 'Refresh' })
    this.refreshButton.addEventListener('click', () => void this.refresh())
    this.table = element('div')
    this.replaceChildren(element('div', { class: 'page-header' }, [element('h1', { text: 'Feedback' }), this.refreshButton]), this.status, this.table)
    void this.refresh()
  }

  async refresh() {
    this.refreshButton.disabled = true
    this.refreshButton.textContent = 'Refreshing…'
    try {
      const { items } = await this.context.rpc('list', { limit: 200 })
      say(this.status, items.length ? `${items.length}, newest first.` : 'No feedback yet.')
      const rows = items.map((item) =>
        element('tr', {}, [
          element('td', { text: new Date(item.at).toLocaleString() }),
          element('td', { text: item.user.email }),
          element('td', { text: `${item.rating} / 5` }),
          element('td', { class: 'feedback-message', text: item.message }),
        ]),
      )
      const head = element('thead', {}, [element('tr', {}, ['When', 'From', 'Rating', 'Message'].map((title) => element('th', { scope: 'col', text: title })))])
      this.table.replaceChildren(items.length ? element('table', { 'aria-label': 'Feedback' }, [head, element('tbody', {}, rows)]) : '')
    } catch (error) {
      say(this.status, failure('The feedback could not be read', error), true)
    } finally {
      this.refreshButton.disabled = false
      this.refreshButton.textContent = 'Refresh'
    }
  }
}

customElements.define('portal-feedback-form', FeedbackForm)
customElements.define('portal-feedback-list', FeedbackList)
