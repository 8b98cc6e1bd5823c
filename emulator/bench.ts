/**
 * The emulator's own speed: `npx tsx emulator/bench.ts [--findings 1000000] [--pages 500]`.
 * Runs the emulator in its own process (emulator/serve.ts), pages through ListFindings
 * sequentially as one collector does (raw SigV4-signed HTTP on a keep-alive agent + JSON.parse,
 * then the AWS SDK v3 client), and prints wall-clock pages/s and findings/s plus the emulator's
 * CPU per finding (from its summary), which does not depend on how busy the machine is.
 * Not a test: numbers depend on the machine.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { READER, control } from './testing.js';

const { values } = parseArgs({
  options: { findings: { type: 'string', default: '1000000' }, pages: { type: 'string', default: '500' } },
});
const N = Number(values.findings);
const PAGES = Number(values.pages);
const here = path.dirname(fileURLToPath(import.meta.url));

let t = performance.now();
const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(here, 'serve.ts'), '--findings', String(N)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('\n')) resolve(out.trim());
  });
  child.on('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
});
console.log(
  `emulator with ${N} findings up in ${Math.round(performance.now() - t)} ms (process start included): ${url}`,
);

try {
  const end = Date.now() / 1000 + 60;
  const query = {
    maxResults: 100,
    filterCriteria: { updatedAt: [{ startInclusive: 0, endInclusive: end }] },
  };
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const signer = new SignatureV4({
    credentials: READER,
    region: 'us-east-1',
    service: 'inspector2',
    sha256: Hash.bind(null, 'sha256'),
  });

  const rawPage = async (token?: string): Promise<{ n: number; bytes: number; token?: string }> => {
    const body = JSON.stringify({ ...query, ...(token ? { nextToken: token } : {}) });
    const req = await signer.sign(
      new HttpRequest({
        method: 'POST',
        hostname: u.hostname,
        port: Number(u.port),
        path: '/findings/list',
        headers: { host: u.host, 'content-type': 'application/json' },
        body,
      }),
    );
    return new Promise((resolve, reject) => {
      const r = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: '/findings/list',
          method: 'POST',
          headers: req.headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`${res.statusCode} ${text}`));
            const page = JSON.parse(text) as { findings: unknown[]; nextToken?: string };
            resolve({
              n: page.findings.length,
              bytes: text.length,
              ...(page.nextToken ? { token: page.nextToken } : {}),
            });
          });
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  };

  const cpu = async () => (await control(url, 'summary')).json.cpuMs as number;
  // First page alone: it builds the query's result set (cached for the pages after it).
  let c0 = await cpu();
  t = performance.now();
  let p = await rawPage();
  console.log(
    `first page (query over ${N}): ${Math.round(performance.now() - t)} ms wall, ${(await cpu()) - c0} ms emulator CPU`,
  );
  let token = p.token;
  let n = 0;
  let bytes = 0;
  c0 = await cpu();
  t = performance.now();
  for (let k = 0; k < PAGES && token; k++) {
    p = await rawPage(token);
    n += p.n;
    bytes += p.bytes;
    token = p.token;
  }
  let s = (performance.now() - t) / 1000;
  const cpuS = ((await cpu()) - c0) / 1000;
  console.log(
    `raw HTTP client: ${Math.round(n / 100 / s)} pages/s, ${Math.round(n / s)} findings/s wall-clock, ${Math.round(bytes / 1e6 / s)} MB/s (${n} findings, avg ${Math.round(bytes / n)} B)`,
  );
  console.log(
    `emulator CPU: ${cpuS.toFixed(2)} s for ${n} findings = ${Math.round(n / cpuS)} findings per CPU-second (${Math.round(n / 100 / cpuS)} pages per CPU-second)`,
  );

  const sdk = new Inspector2Client({
    region: 'us-east-1',
    endpoint: url,
    credentials: READER,
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
  });
  const sdkQuery = {
    maxResults: 100,
    filterCriteria: { updatedAt: [{ startInclusive: new Date(0), endInclusive: new Date(end * 1000) }] },
  };
  let sdkToken = (await sdk.send(new ListFindingsCommand(sdkQuery))).nextToken;
  n = 0;
  t = performance.now();
  for (let k = 0; k < PAGES / 5 && sdkToken; k++) {
    const r = await sdk.send(new ListFindingsCommand({ ...sdkQuery, nextToken: sdkToken }));
    n += r.findings?.length ?? 0;
    sdkToken = r.nextToken;
  }
  s = (performance.now() - t) / 1000;
  console.log(
    `AWS SDK v3 client (deserialising every finding): ${Math.round(n / 100 / s)} pages/s, ${Math.round(n / s)} findings/s wall-clock`,
  );
  agent.destroy();
} finally {
  child.kill('SIGTERM');
}
