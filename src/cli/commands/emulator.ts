/**
 * `inspector-connector emulator --port N [--tls] [--findings N] [--fixtures] [--seed S]
 * [--iam FILE] [--regions a,b] [--clean-pages] [--rescan-rate R] [--index-lag-seconds N]
 * [--clock-offset-seconds ±N] [--without-updated-at PERCENT] [--opt-in-regions all|none|a,b]
 * [--members a,b] [--region-rate R] [--region-burst N]`: runs the AWS emulator (Inspector2 + STS) in the foreground on
 * 127.0.0.1, prints its URL, and stops on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { startEmulator } from '../../../emulator/index.js';
import { MAX_CLOCK_OFFSET_SECONDS, MAX_INDEX_LAG_SECONDS } from '../../../emulator/state.js';
import { parseOptInFlag, parseRateFlags } from '../../../emulator/org.js';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got '${v}'`);
    }
    return Number(v);
  };
}

function fractionArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v) || n < 0 || n > 1) {
      throw new InvalidArgumentError(`${name} must be a fraction from 0 to 1 (e.g. 0.8), got '${v}'`);
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('emulator')
    .description('Run the AWS emulator (Inspector2 + STS) for tests and demos, in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', intArg('--port', 0, 65535), 0)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--tls', 'serve HTTPS with a self-signed certificate generated at start', false)
    .option('--findings <n>', 'number of generated findings', intArg('--findings', 0, 5_000_000), 1000)
    .option('--fixtures', 'add the real sample findings shipped in test/fixtures/aws-inspector2', false)
    .option('--seed <s>', 'seed of the deterministic generator', intArg('--seed', 0, 4294967295), 1)
    .option('--iam <file>', 'IAM model (JSON or YAML); default: the documented example users and roles')
    .option(
      '--regions <list>',
      'comma-separated regions where Inspector2 is available and generated findings live (aws, aws-us-gov, aws-cn); elsewhere its endpoint does not exist',
      'us-east-1',
    )
    .option(
      '--clean-pages',
      "full pages (the old behaviour) instead of AWS's uneven ones: short and empty pages with a nextToken, a nextToken on the last page",
      false,
    )
    .option(
      '--without-updated-at <percent>',
      'percent of generated findings sent without updatedAt (optional in the service model)',
      intArg('--without-updated-at', 0, 100),
      0,
    )
    .option(
      '--rescan-rate <r>',
      'fraction (0-1) of ACTIVE findings rescanned per emulator day with nothing material changed (updatedAt, lastObservedAt, EPSS drift)',
      fractionArg('--rescan-rate'),
      0,
    )
    .option(
      '--index-lag-seconds <n>',
      'a version written at T is listed only from T+N (AWS indexes late); until then the previous version',
      intArg('--index-lag-seconds', 0, MAX_INDEX_LAG_SECONDS),
      0,
    )
    .option(
      '--clock-offset-seconds <n>',
      "the emulator's clock = host time + N (negative: behind), for updatedAt and the Date header",
      intArg('--clock-offset-seconds', -MAX_CLOCK_OFFSET_SECONDS, MAX_CLOCK_OFFSET_SECONDS),
      0,
    )
    .option(
      '--opt-in-regions <list>',
      'opt-in regions enabled for the account: all, none or a comma-separated list; requests to another opt-in region fail as on AWS (UnrecognizedClientException 403)',
      'all',
    )
    .option(
      '--members <list>',
      "member accounts of the delegated administrator (comma-separated; default: the generated findings' accounts but the administrator)",
    )
    .option(
      '--region-rate <r>',
      'Inspector2 requests per second allowed per region (token bucket; 0 = no limit)',
      '0',
    )
    .option('--region-burst <n>', "size of each region's token bucket (default: one second's worth)")
    .option('--ca-out <file>', 'with --tls: write the certificate (PEM) to this file')
    .action(
      async (o: {
        port: number;
        host: string;
        tls: boolean;
        findings: number;
        fixtures: boolean;
        seed: number;
        iam?: string;
        regions: string;
        caOut?: string;
        cleanPages: boolean;
        withoutUpdatedAt: number;
        rescanRate: number;
        indexLagSeconds: number;
        clockOffsetSeconds: number;
        optInRegions: string;
        members?: string;
        regionRate: string;
        regionBurst?: string;
      }) => {
        const regions = o.regions
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean);
        for (const r of regions) {
          if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(r))
            throw new InvalidArgumentError(`--regions: '${r}' is not a region name like us-east-1`);
        }
        let emu;
        try {
          const optInRegions = parseOptInFlag(o.optInRegions);
          const regionRate = parseRateFlags(o.regionRate, o.regionBurst);
          const members = o.members
            ?.split(',')
            .map((m) => m.trim())
            .filter(Boolean);
          for (const m of members ?? [])
            if (!/^\d{12}$/.test(m)) throw new Error(`--members: '${m}' is not a 12-digit account id`);
          emu = await startEmulator({
            port: o.port,
            host: o.host,
            tls: o.tls,
            findings: o.findings,
            fixtures: o.fixtures,
            seed: o.seed,
            regions,
            cleanPages: o.cleanPages,
            withoutUpdatedAt: o.withoutUpdatedAt,
            rescanRate: o.rescanRate,
            indexLagSeconds: o.indexLagSeconds,
            clockOffsetSeconds: o.clockOffsetSeconds,
            ...(o.iam ? { iam: o.iam } : {}),
            ...(optInRegions ? { optInRegions } : {}),
            ...(regionRate ? { regionRate } : {}),
            ...(members ? { members } : {}),
            onError: (e) =>
              process.stderr.write(
                `emulator: unexpected error (answered 500): ${String((e as Error).stack ?? e)}\n`,
              ),
          });
        } catch (e) {
          process.stderr.write(`emulator: ${(e as Error).message}\n`);
          process.exitCode = 2;
          return;
        }
        if (o.caOut && emu.ca) fs.writeFileSync(o.caOut, emu.ca);
        // Handlers first: a signal right after the URL appears must still stop us cleanly.
        const stopped = new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void emu.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        const s = emu.state.summary();
        process.stdout.write(`${emu.url}\n`);
        process.stderr.write(
          `AWS emulator (Inspector2 + STS): ${String(s.findings)} findings, ${String(s.paging)} pages; control API ${emu.url}/__emulator/summary. Ctrl-C stops.\n`,
        );
        await stopped;
      },
    );
}
