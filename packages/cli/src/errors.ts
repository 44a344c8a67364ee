import { PlugboardError } from '@plugboard/proto'

/**
 * Every code the CLI raises itself, with one line of meaning and the process
 * exit status it ends with. Errors from the gateway keep their own codes and exit 1.
 * A shipped code never changes.
 */
export const CLI_ERRORS = {
  CLI_INVALID_USAGE: { exitCode: 2, doc: 'Unknown command or option, a missing or malformed value: the message says which, --help lists what exists.' },
  CLI_STUDIO_UNREACHABLE: { exitCode: 1, doc: '`plugboard config` could not reach Studio at --url (not running, wrong port), or it answered something that is not the admin API.' },
} as const satisfies Record<string, { exitCode: number; doc: string }>

export type CliErrorCode = keyof typeof CLI_ERRORS

/** A command line the CLI cannot run; `plugboard --help` shows the right one. */
export function usageError(message: string): PlugboardError<CliErrorCode> {
  return new PlugboardError('CLI_INVALID_USAGE', message)
}
