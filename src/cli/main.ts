#!/usr/bin/env node
/** The `inspector-connector` command line. Each subcommand lives in its own module. */
import { Command } from 'commander';

const program = new Command()
  .name('inspector-connector')
  .description('Collect Amazon Inspector findings into a searchable Syslog index.')
  .version('0.1.0');

await program.parseAsync(process.argv);
