/**
 * The emulator in a process of its own, for the benchmark and the reliability suite:
 *   node emulator-proc.js '{"findings":100000,"seed":1, ...startEmulator options}'
 * prints `EMULATOR <url>` once listening; SIGTERM/SIGINT close it.
 */
import { startEmulator } from '../../emulator/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof startEmulator>[0];
const emu = await startEmulator({ port: 0, ...opts });
process.stdout.write(`EMULATOR ${emu.url}\n`);
const stop = () => {
  void Promise.resolve(emu.close()).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
