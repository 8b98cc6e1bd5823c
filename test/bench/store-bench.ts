/**
 * Store benchmark: fills the Syslog index with N realistic records (~3.5 KB each, shaped like
 * mapped Inspector findings) through commitPage in pages of 100 (one ListFindings page), then
 * measures the insert rate, the DB size and p50/p95 of the five search shapes of issue 5, the
 * leading wildcards of issue 10 (`*ssl`, `package_name:*ssl`, `*ssl*`, `*a*b*c*`, --wild-runs each,
 * no time budget), and the
 * latency of /healthz and of another request on a real server while a worst-case search runs.
 *
 *   npx tsx test/bench/store-bench.ts [--records 1000000] [--dir .bench/store] [--runs 30]
 *     [--wild-runs 5] [--skip-server]
 *
 * The data dir is reused when it already holds >= N records (query-only rerun); --fresh wipes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SEARCH_TIMEOUT_MS, KEY_ENV, openStore } from '../../src/store/index.js';
import { startServer } from '../../src/api/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InterflowRecord } from '../../src/core/record.js';
import { arg } from './lib.js';
import { withStates } from '../support/records.js';
import { productionStoreTypes } from '../../src/connectors/registry.js';
import { awsRegistry } from '../support/connectors/index.js';

const N = Number(arg('records', '1000000'));
const DIR = path.resolve(arg('dir', '.bench/store'));
const RUNS = Number(arg('runs', '30'));
const PAGE = 100;
/** The key the bench connector's secrets are sealed with (no key file in the bench store). */
const BENCH_KEY = Buffer.alloc(32, 7);

/** Deterministic PRNG so runs are comparable. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

const PACKAGES = [
  'openssl',
  'openssl-libs',
  'glibc',
  'zlib',
  'curl',
  'libcurl',
  'log4j-core',
  'spring-core',
  'nginx',
  'python3',
  'urllib3',
  'requests',
  'lodash',
  'axios',
  'kernel',
  'bash',
  'sudo',
  'systemd',
  'libxml2',
  'expat',
  'busybox',
  'musl',
  'node',
  'jackson-databind',
];
const WORDS =
  'a vulnerability was found in the package that allows a remote attacker to execute arbitrary code cause a denial of service via crafted input buffer overflow use after free integer out of bounds read write memory corruption heap stack certificate validation bypass injection parsing request header'.split(
    ' ',
  );
const SEVERITIES = [
  ['INFORMATIONAL', 10],
  ['LOW', 30],
  ['MEDIUM', 50],
  ['HIGH', 70],
  ['CRITICAL', 90],
  ['UNTRIAGED', 40],
] as const;
const STATUSES = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'SUPPRESSED', 'CLOSED'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const RTYPES = ['AWS_EC2_INSTANCE', 'AWS_ECR_CONTAINER_IMAGE', 'AWS_LAMBDA_FUNCTION'];
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => String(123456789000 + i));
const T0 = Date.UTC(2026, 0, 1);
const SPAN = 300 * 86_400_000;

const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

export function makeRecord(i: number, connectorId: string): InterflowRecord {
  const [sevName, sev] = pick(SEVERITIES);
  const status = pick(STATUSES);
  const region = pick(REGIONS);
  const account = pick(ACCOUNTS);
  const pkg = pick(PACKAGES);
  const cve = `CVE-${2015 + Math.floor(rand() * 11)}-${1000 + Math.floor(rand() * 60000)}`;
  const arn = `arn:aws:inspector2:${region}:${account}:finding/${hex(32)}`;
  const updatedAt = T0 + Math.floor((i / N) * SPAN);
  const rtype = pick(RTYPES);
  const rid =
    rtype === 'AWS_EC2_INSTANCE'
      ? `i-${hex(17)}`
      : `arn:aws:ecr:${region}:${account}:repository/app-${Math.floor(rand() * 500)}/sha256:${hex(64)}`;
  const version = `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 30)}`;
  const finding = {
    findingArn: arn,
    awsAccountId: account,
    type: 'PACKAGE_VULNERABILITY',
    title: `${cve} - ${pkg}`,
    description: sentence(60),
    severity: sevName,
    status,
    firstObservedAt: updatedAt - 86_400_000 * Math.floor(rand() * 90),
    lastObservedAt: updatedAt,
    updatedAt,
    inspectorScore: Math.round(rand() * 100) / 10,
    inspectorScoreDetails: {
      adjustedCvss: {
        score: Math.round(rand() * 100) / 10,
        scoreSource: 'NVD',
        scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        version: '3.1',
        adjustments: [],
        cvssSource: 'NVD',
      },
    },
    remediation: {
      recommendation: {
        text: `Upgrade ${pkg} to a fixed version. ${sentence(20)}`,
        Url: `https://nvd.nist.gov/vuln/detail/${cve}`,
      },
    },
    fixAvailable: pick(['YES', 'NO', 'PARTIAL']),
    exploitAvailable: pick(['YES', 'NO']),
    epss: { score: Math.round(rand() * 10000) / 10000 },
    packageVulnerabilityDetails: {
      vulnerabilityId: cve,
      source: 'NVD',
      sourceUrl: `https://nvd.nist.gov/vuln/detail/${cve}`,
      vendorSeverity: sevName,
      vendorCreatedAt: updatedAt - 86_400_000 * 400,
      vendorUpdatedAt: updatedAt - 86_400_000 * 10,
      referenceUrls: [
        `https://nvd.nist.gov/vuln/detail/${cve}`,
        `https://security-tracker.debian.org/tracker/${cve}`,
        `https://ubuntu.com/security/${cve}`,
      ],
      relatedVulnerabilities: [`CVE-2021-${1000 + Math.floor(rand() * 9000)}`],
      cvss: [
        {
          baseScore: Math.round(rand() * 100) / 10,
          scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          source: 'NVD',
          version: '3.1',
        },
        {
          baseScore: Math.round(rand() * 100) / 10,
          scoringVector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P',
          source: 'NVD',
          version: '2.0',
        },
      ],
      vulnerablePackages: [
        {
          name: pkg,
          version,
          epoch: 0,
          release: `${Math.floor(rand() * 9)}.amzn2`,
          arch: 'x86_64',
          packageManager: 'OS',
          fixedInVersion: `${version}-fix`,
          remediation: `yum update ${pkg}`,
        },
        {
          name: pick(PACKAGES),
          version,
          epoch: 0,
          release: '1.el8',
          arch: 'x86_64',
          packageManager: 'OS',
          filePath: `/usr/lib64/${pkg}.so`,
          fixedInVersion: 'NotAvailable',
        },
      ],
    },
    resources: [
      {
        type: rtype,
        id: rid,
        partition: 'aws',
        region,
        tags: {
          Name: `web-${Math.floor(rand() * 300)}`,
          env: pick(['prod', 'staging', 'dev']),
          team: pick(['payments', 'search', 'platform']),
        },
        details: {
          awsEc2Instance: {
            type: 't3.large',
            imageId: `ami-${hex(17)}`,
            ipV4Addresses: [
              `10.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`,
            ],
            ipV6Addresses: [],
            keyName: 'ops',
            iamInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/web`,
            vpcId: `vpc-${hex(8)}`,
            subnetId: `subnet-${hex(8)}`,
            launchedAt: updatedAt - 86_400_000 * 100,
            platform: 'AMAZON_LINUX_2',
          },
        },
      },
    ],
  };
  return {
    _id: `${hex(16)}${i.toString(16).padStart(8, '0')}`,
    timestamp: updatedAt,
    write_time: Date.now(),
    tenantid: i % 10 === 0 ? 'tenant-b' : 'root',
    tenant_name: i % 10 === 0 ? 'Tenant B' : 'Root Tenant',
    msg_class: 'aws_inspector_finding',
    msg_origin: {
      source: 'aws_inspector',
      vendor: 'aws',
      category: 'security_scan',
      processor: { type: 'log_collector', name: 'root-inspector', id: connectorId },
    },
    event_name: finding.title,
    event_status: status,
    severity: sev,
    account,
    region,
    resource_type: rtype,
    resource_id: rid,
    resource_name: finding.resources[0]!.tags.Name,
    vulnerability_id: cve,
    cves: [cve],
    package_name: [pkg],
    package_version: [version],
    fixed_in_version: [`${version}-fix`],
    inspector_score: finding.inspectorScore,
    epss_score: finding.epss.score,
    fix_available: finding.fixAvailable,
    exploit_available: finding.exploitAvailable,
    aws_inspector: finding,
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function dirBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

async function main() {
  if (process.argv.includes('--fresh')) fs.rmSync(DIR, { recursive: true, force: true });
  const openFill = () => openStore({ connectorTypes: productionStoreTypes(), dataDir: DIR, key: BENCH_KEY });
  let store = openFill();
  const connectorId =
    store.connectors.getByName('bench-inspector')?.id ??
    store.connectors.create({
      name: 'bench-inspector',
      region: 'us-east-1',
      auth: {
        method: 'access_key',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'bench-secret-key',
      },
    }).id;
  const out: Record<string, unknown> = { records: N };
  let have = store.index.size();
  if (have < N) {
    // Generation is timed separately so the figure is the store's own rate.
    let genMs = 0;
    let storeMs = 0;
    let storeCpuUs = 0;
    let bytes = 0;
    const sample = makeRecord(0, connectorId);
    console.error(
      `filling ${N - have} records (doc ~${JSON.stringify(sample).length} bytes) into ${DIR} ...`,
    );
    for (let i = have; i < N; i += PAGE) {
      const g0 = performance.now();
      const page: InterflowRecord[] = [];
      for (let k = i; k < Math.min(N, i + PAGE); k++) page.push(makeRecord(k, connectorId));
      const g1 = performance.now();
      const cpu0 = process.cpuUsage();
      store.commitPage(withStates({ connectorId, records: page, checkpoint: { next: i + PAGE } }));
      const cpu = process.cpuUsage(cpu0);
      const g2 = performance.now();
      storeCpuUs += cpu.user + cpu.system;
      genMs += g1 - g0;
      storeMs += g2 - g1;
      if (i % 20_000 === 0) bytes += JSON.stringify(page[0]).length * page.length;
      if (i % 100_000 === 0 && i > have)
        console.error(`  ${i} records, ${Math.round((i - have) / (storeMs / 1000))} rec/s`);
    }
    const inserted = N - have;
    out.inserted = inserted;
    out.insertSeconds = +(storeMs / 1000).toFixed(1);
    out.insertRecordsPerSecond = Math.round(inserted / (storeMs / 1000));
    // CPU time is what a busy (shared) machine distorts least: records per CPU-second.
    out.insertRecordsPerCpuSecond = Math.round(inserted / (storeCpuUs / 1e6));
    out.insertCpuMicrosPerRecord = Math.round(storeCpuUs / inserted);
    out.generateSeconds = +(genMs / 1000).toFixed(1);
    out.avgDocBytes = Math.round(bytes / Math.max(1, Math.ceil(inserted / 20_000) * PAGE));
    // Closing the last connection checkpoints the WAL into the database and removes it.
    store.close();
    store = openFill();
    have = N;
  }
  out.dbBytes = dirBytes(DIR);
  out.dbMBPerMillion = Math.round((out.dbBytes as number) / 1e6 / (have / 1e6));

  const DAY = 86_400_000;
  // Look up values that exist (records spread over the index), so the equality query finds something.
  const cves = Array.from({ length: RUNS + 1 }, (_, k) => {
    const offset = Math.floor((((k * 7919) % 1000) / 1000) * have);
    const [r] = store.index.search({ limit: 1, offset, sort: 'write_time:asc' }).records;
    return (r as unknown as { vulnerability_id: string }).vulnerability_id;
  });
  const queries: { name: string; run: (k: number) => unknown }[] = [
    {
      name: 'field equality (aws_inspector.packageVulnerabilityDetails.vulnerabilityId:CVE-...)',
      run: (k) =>
        store.index.search({
          q: `aws_inspector.packageVulnerabilityDetails.vulnerabilityId:${cves[k]}`,
          limit: 50,
        }),
    },
    {
      name: 'field equality, broad (aws_inspector.status:CLOSED)',
      run: () => store.index.search({ q: 'aws_inspector.status:CLOSED', limit: 50 }),
    },
    {
      name: 'free text (openssl)',
      run: (k) =>
        store.index.search({
          q: pick(['openssl', 'glibc', 'log4j', 'zlib', 'curl']) + (k < 0 ? '' : ''),
          limit: 50,
        }),
    },
    {
      name: 'time range (7 d) + severity:>=70',
      run: (k) => {
        const from = T0 + ((k * 9) % 290) * DAY;
        return store.index.search({ q: 'severity:>=70', from, to: from + 7 * DAY, limit: 50 });
      },
    },
    {
      name: 'count (event_status:ACTIVE AND package_name:openssl)',
      run: () => store.index.count({ q: 'event_status:ACTIVE AND package_name:openssl' }),
    },
    { name: 'count (all)', run: () => store.index.count({}) },
    {
      name: 'sorted page (* sort severity:desc, offset 500)',
      run: () => store.index.search({ q: '*', sort: 'severity:desc', limit: 50, offset: 500 }),
    },
    {
      name: 'sorted page (resource_type:AWS_EC2_INSTANCE, timestamp:asc)',
      run: () =>
        store.index.search({ q: 'resource_type:AWS_EC2_INSTANCE', sort: 'timestamp:asc', limit: 50 }),
    },
    {
      name: 'tenant-scoped page (*, tenant-b, timestamp:desc)',
      run: () => store.index.search({ q: '*', tenantIds: ['tenant-b'], limit: 50 }),
    },
    {
      name: 'tenant-scoped free text (openssl, root)',
      run: () => store.index.search({ q: 'openssl', tenantIds: ['root'], limit: 50 }),
    },
    { name: 'histogram (all, 60 buckets)', run: () => store.index.histogram({ buckets: 60 }) },
  ];
  const results: Record<string, { p50: number; p95: number; total?: number }> = {};
  for (const q of queries) {
    q.run(0); // warm the statement cache and the page cache once
    const times: number[] = [];
    let total: number | undefined;
    for (let k = 0; k < RUNS; k++) {
      const t = performance.now();
      const r = q.run(k);
      times.push(performance.now() - t);
      total = typeof r === 'number' ? r : ((r as { total?: number }).total ?? total);
    }
    results[q.name] = {
      p50: +pct(times, 50).toFixed(1),
      p95: +pct(times, 95).toFixed(1),
      ...(total !== undefined ? { total } : {}),
    };
    console.error(
      `${q.name.padEnd(70)} p50 ${results[q.name]!.p50} ms  p95 ${results[q.name]!.p95} ms  (total ${total})`,
    );
  }
  out.queries = results;

  // Leading wildcards (issue 10): `*ssl`, `*ssl*` and `package_name:*ssl` are expanded against
  // the sealed shards' term dictionary (the open shard's records checked); `*a*b*c*` checks
  // every record.
  const WILD_RUNS = Number(arg('wild-runs', '5'));
  const wild: Record<string, { p50: number; p95: number; total: number }> = {};
  for (const q of ['*ssl', 'package_name:*ssl', '*ssl*', '*a*b*c*']) {
    const times: number[] = [];
    let total = 0;
    for (let k = 0; k < WILD_RUNS; k++) {
      const t = performance.now();
      total = store.index.search({ q, limit: 50 }).total;
      times.push(performance.now() - t);
    }
    wild[q] = { p50: +pct(times, 50).toFixed(0), p95: +pct(times, 95).toFixed(0), total };
    console.error(`${q.padEnd(70)} p50 ${wild[q]!.p50} ms  p95 ${wild[q]!.p95} ms  (total ${total})`);
  }
  out.wildcards = wild;
  store.close();
  if (!process.argv.includes('--skip-server')) out.server = await serverDuringWorstCase();
  console.log(JSON.stringify(out, null, 2));
}

/**
 * A real server (startServer: search threads) on this store: while the worst-case query runs
 * (no budget), /healthz and GET /api/v1/connectors are requested one after the other; their
 * latencies are the figures. Then the same query under the default budget.
 */
async function serverDuringWorstCase() {
  const WORST = '*a*a*a*a*b';
  const password = 'bench-Search-threads-4k9q2';
  const open = (searchTimeoutMs: number) =>
    startServer({
      dataDir: DIR,
      port: 0,
      host: '127.0.0.1',
      // The bench store has no key file: the server gets the key the secrets were sealed with.
      env: {
        ...process.env,
        INSPECTOR_CONNECTOR_ADMIN_PASSWORD: password,
        [KEY_ENV]: BENCH_KEY.toString('base64'),
      },
      logger: silentLogger(),
      print: () => undefined,
      searchTimeoutMs,
      // The bench connector's credentials are fake: its scheduled runs fail at once, offline.
      registry: awsRegistry(() => {
        throw new Error('offline benchmark');
      }),
    });
  const login = async (url: string) => {
    const r = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    return { authorization: `Bearer ${((await r.json()) as { token: string }).token}` };
  };
  const timed = async (url: string, headers: Record<string, string> = {}) => {
    const t = performance.now();
    const r = await fetch(url, { headers });
    await r.arrayBuffer();
    return { ms: performance.now() - t, status: r.status };
  };
  const out: Record<string, unknown> = { query: WORST };
  let srv = await open(0);
  try {
    const auth = await login(srv.url);
    let done = false;
    const search = timed(`${srv.url}/api/v1/search?q=${encodeURIComponent(WORST)}&limit=50`, auth).then(
      (r) => {
        done = true;
        return r;
      },
    );
    await new Promise((r) => setTimeout(r, 200));
    const health: number[] = [];
    const other: number[] = [];
    while (!done) {
      health.push((await timed(`${srv.url}/healthz`)).ms);
      other.push((await timed(`${srv.url}/api/v1/connectors`, auth)).ms);
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = await search;
    const stat = (xs: number[]) => ({
      n: xs.length,
      p50: +pct(xs, 50).toFixed(1),
      p95: +pct(xs, 95).toFixed(1),
      max: +Math.max(...xs).toFixed(1),
    });
    out.searchMs = Math.round(s.ms);
    out.searchStatus = s.status;
    out.healthz = stat(health);
    out.otherRequest = stat(other);
    console.error(
      `server: ${WORST} (no budget) ${s.status} in ${out.searchMs} ms; meanwhile /healthz ${JSON.stringify(out.healthz)} ms, GET /api/v1/connectors ${JSON.stringify(out.otherRequest)} ms`,
    );
  } finally {
    await srv.close();
  }
  srv = await open(DEFAULT_SEARCH_TIMEOUT_MS);
  try {
    const auth = await login(srv.url);
    const r = await timed(`${srv.url}/api/v1/search?q=${encodeURIComponent(WORST)}&limit=50`, auth);
    out.withDefaultBudget = { status: r.status, ms: Math.round(r.ms) };
    console.error(`server: ${WORST} with the default budget: ${r.status} in ${Math.round(r.ms)} ms`);
  } finally {
    await srv.close();
  }
  return out;
}

// Run only when executed, not when imported (other benchmarks reuse makeRecord).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
