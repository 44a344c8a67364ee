import { rmSync } from 'node:fs'
import { chmod, chown, lstat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** `plugboard-<host pid>-<random>`: one per host process, holding one private directory per plugin launch. */
const HOST_DIR = /^plugboard-(\d+)-[A-Za-z0-9]{6}$/

let hostDir: Promise<string> | undefined

/** The owner a plugin's private directory is handed to when the plugin runs under its own uid. */
export interface DirOwner {
  uid: number
  gid: number
}

/**
 * Creates a plugin's private 0700 socket directory, owned by `owner` when
 * given. It lives in this host process's own directory under the system temp
 * dir, whose name carries the host's pid: the first call removes the
 * directories of hosts of this user that are no longer running (killed with
 * SIGKILL, so they could not clean up), then creates this host's.
 */
export async function createPluginDir(owner?: DirOwner): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    hostDir ??= sweepStaleHostDirs().then(createHostDir)
    const parent = await hostDir.catch((error: unknown) => {
      hostDir = undefined
      throw error
    })
    let dir: string
    try {
      dir = await mkdtemp(join(parent, 'p-'))
    } catch (error) {
      // Removed under us (a temp-dir cleaner): make a new one.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw error
      hostDir = undefined
      continue
    }
    if (owner) {
      try {
        // Other uids may pass through the host's directory (not list it) to reach their own 0700 one.
        await chmod(parent, 0o711)
        await chown(dir, owner.uid, owner.gid)
      } catch (error) {
        await rm(dir, { recursive: true, force: true })
        throw error
      }
    }
    return dir
  }
}

/** This process's directory, removed when it exits normally (the next host's sweep covers the rest). */
async function createHostDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `plugboard-${process.pid}-`))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Removes host directories left by dead host processes of this user. A pid
 * that is alive (even as another process that reused it) keeps its directory.
 * A directory naming this process's own pid but last changed before it started
 * is from an earlier process in the same pid namespace (a host that is pid 1
 * in a container); one changed since belongs to another copy of this module.
 */
async function sweepStaleHostDirs(): Promise<void> {
  const root = tmpdir()
  const uid = process.getuid?.()
  const startedAt = Date.now() - process.uptime() * 1000
  for (const name of await readdir(root)) {
    const pid = Number(HOST_DIR.exec(name)?.[1] ?? NaN)
    if (!Number.isInteger(pid) || (pid !== process.pid && processAlive(pid))) continue
    const path = join(root, name)
    const stats = await lstat(path).catch(() => undefined)
    if (!stats?.isDirectory() || (uid !== undefined && stats.uid !== uid)) continue
    if (pid === process.pid && stats.mtimeMs >= startedAt) continue
    await rm(path, { recursive: true, force: true }).catch(() => undefined)
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
