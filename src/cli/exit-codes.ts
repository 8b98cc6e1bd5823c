/**
 * Exit codes shared by the commands that own a data directory (serve, demo, collect,
 * rotate-key), so that a service manager can tell "fix the configuration" from a crash
 * (systemd: RestartPreventExitStatus=3 4). 0 ok, 1 failure, 2 usage or configuration error.
 */
import { isCodedError } from '../core/errors.js';

/** The encryption key is missing, malformed, too open, or not the store's key. */
export const EXIT_KEY = 3;
/** Another process owns the data directory. */
export const EXIT_LOCKED = 4;

export function startupExitCode(e: unknown): number {
  if (!isCodedError(e)) return 1;
  if (e.code === 'ERR_SECRET_KEY_INVALID' || e.code === 'ERR_SECRET_KEY_MISMATCH') return EXIT_KEY;
  if (e.code === 'ERR_DATA_DIR_LOCKED') return EXIT_LOCKED;
  return 1;
}
