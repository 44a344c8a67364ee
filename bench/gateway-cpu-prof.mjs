// Preload for CPU-profiling a process whose command line the bench does not control (the
// plugin processes the gateway's host launches, where Node refuses `--cpu-prof` in
// NODE_OPTIONS): `NODE_OPTIONS="--import=file:///…/bench/gateway-cpu-prof.mjs"` with
// PB_CPU_PROF_DIR set. Starts V8's sampling profiler at once and writes
// `<PB_CPU_PROF_DIR>/CPU.<pid>.cpuprofile` when the process exits normally (process.exit or an
// empty event loop; not on an unhandled signal). Used by `npm run bench:gateway -- --profile`.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'

const dir = process.env.PB_CPU_PROF_DIR
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  process.once('exit', () => {
    // On the main thread the inspector answers synchronously, so this runs before the process is gone.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  })
}
