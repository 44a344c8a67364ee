import { readFileSync, readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** `file://` URL of an example plugin's package directory (built by `npx tsc -b`). */
export function examplePlugin(name: string): string {
  return new URL(`../../../examples/plugins/${name}`, import.meta.url).href
}

/** Live (not zombie) child processes of this test process: the plugin processes its gateways run. */
export function childProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        return Number(ppid) === process.pid && state !== 'Z' ? [Number(entry)] : []
      } catch {
        return []
      }
    })
}

/** Polls `condition` every 50 ms for up to `ms`; true once it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await condition()) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return childProcesses().includes(pid)
  } catch {
    return false
  }
}
