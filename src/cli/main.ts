#!/usr/bin/env node
/** The `inspector-connector` command line. Each subcommand lives in its own module. */
import { Command } from 'commander';
import { register as registerTest } from './commands/test.js';
import { register as registerCollect } from './commands/collect.js';
import { register as registerEmulator } from './commands/emulator.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerReconcile } from './commands/reconcile.js';
import { register as registerCoverage } from './commands/coverage.js';
import { register as registerSearch } from './commands/search.js';
import { register as registerRotateKey } from './commands/rotate-key.js';
import { boundHeapGrowth } from './memory.js';

boundHeapGrowth();

const program = new Command()
  .name('inspector-connector')
  .description('Collect Amazon Inspector findings into a searchable Syslog index.')
  .version('0.1.0');
registerTest(program);
registerCollect(program);
registerEmulator(program);
registerServe(program);
registerDemo(program);
registerReconcile(program);
registerCoverage(program);
registerSearch(program);
registerRotateKey(program);

await program.parseAsync(process.argv);
