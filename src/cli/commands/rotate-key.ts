/**
 * `inspector-connector rotate-key [--data DIR] [--new-key-file FILE]`: re-encrypts every
 * connector secret under a new key in ONE transaction (store/sqlite/keys.ts). The key is a file
 * (`DATA_DIR/secret.key`): the new key is generated (or read from FILE), written to
 * `secret.key.next`, and renamed over `secret.key` after the commit; an interrupted rotation is
 * completed (or undone) by the next serve/collect/rotate-key. The key is INSPECTOR_CONNECTOR_KEY:
 * the new key must come from FILE, and the variable must be set to it before the next start.
 * Owns the data directory while it runs (stop the server first). Exit 0 done, 2 usage,
 * 3 key problem, 4 data directory in use, 1 other failures.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { isCodedError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import {
  KEY_ENV,
  KEY_FILE,
  lockDataDir,
  openStore,
  readKeyFile,
  type DataDirLock,
  type Store,
} from '../../store/index.js';
import { startupExitCode } from '../exit-codes.js';
import { productionRegistry, secretFieldsOf } from '../../connectors/registry.js';

interface RotateCliOptions {
  data: string;
  newKeyFile?: string;
}

export function rotateKeyCommand(opts: RotateCliOptions, env: NodeJS.ProcessEnv = process.env): number {
  const fail = (e: unknown) => {
    process.stderr.write(
      `inspector-connector rotate-key: ${isCodedError(e) ? `${e.code}: ` : ''}${(e as Error).message}\n`,
    );
    return startupExitCode(e);
  };
  let newKey: Buffer | undefined;
  if (opts.newKeyFile !== undefined) {
    try {
      newKey = readKeyFile(path.resolve(opts.newKeyFile));
    } catch (e) {
      return fail(e);
    }
    if (!newKey) {
      process.stderr.write(`--new-key-file: ${path.resolve(opts.newKeyFile)} does not exist\n`);
      return 2;
    }
  }
  // A key from KEY_ENV without --new-key-file: rotateStoreKey refuses it (ERR_SECRET_KEY_INVALID, exit 3).
  const logger = createLogger({
    level: env.LOG_LEVEL ?? 'warn',
    secretFields: secretFieldsOf(productionRegistry()),
  });
  let lock: DataDirLock | undefined;
  let store: Store | undefined;
  try {
    lock = lockDataDir(opts.data, 'rotate-key');
    store = openStore({ dataDir: opts.data, logger, env });
    const r = store.rotateKey(newKey ? { newKey } : {});
    process.stdout.write(
      `re-encrypted ${r.secrets} secrets of ${r.connectors} connectors under the new key\n` +
        (r.source === 'file'
          ? `the new key is ${path.join(store.dataDir, KEY_FILE)}; back it up (the previous key no longer opens this store)\n`
          : `now set ${KEY_ENV} to the content of ${path.resolve(opts.newKeyFile!)} before the next start\n`) +
        (r.unreadable.length
          ? `connectors whose secrets were already unreadable (re-enter them): ${r.unreadable.join(', ')}\n`
          : ''),
    );
    return 0;
  } catch (e) {
    return fail(e);
  } finally {
    store?.close();
    lock?.release();
  }
}

export function register(program: Command): void {
  program
    .command('rotate-key')
    .description(
      'Re-encrypt every connector secret under a new key in one transaction (stop the server first)',
    )
    .option('--data <dir>', 'data directory', './data')
    .option(
      '--new-key-file <file>',
      `the new key (base64 of 32 bytes, mode 0600); default: generated. Required when the key is ${KEY_ENV}`,
    )
    .action((opts: RotateCliOptions) => {
      process.exitCode = rotateKeyCommand(opts);
    });
}
