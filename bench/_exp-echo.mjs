// EXPERIMENT ONLY: what the plugin would do without AbortSignal.any/timeout per call.
const never = new AbortController().signal
AbortSignal.timeout = () => never
AbortSignal.any = (signals) => signals[0]
await import('./echo-plugin.mjs')
