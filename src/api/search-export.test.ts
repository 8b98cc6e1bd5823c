/**
 * /search/export (streamed NDJSON / CSV), /search/fields (the field list) and the unknown-field
 * warning of /search, against a real store. The stream test reads a real HTTP response and
 * counts rows as they arrive; the pages the server asked for while the client was not reading
 * show the backpressure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InterflowRecord } from '../core/record.js';
import { inProcessSearch, ROOT_TENANT, type SearchService, type Tenant } from '../store/index.js';
import { testEnv, type TestEnv } from '../../test/support/api.js';
import { testRecord, withStates } from '../../test/support/records.js';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const T0 = Date.UTC(2026, 5, 1);

async function start(opts: { exportPageSize?: number; search?: (e: TestEnv) => SearchService } = {}) {
  let e = await testEnv({ ...(opts.exportPageSize ? { exportPageSize: opts.exportPageSize } : {}) });
  if (opts.search) {
    // The app takes its search service at build: a second app over the same store.
    const store = e.store;
    await e.app.close();
    const again = await testEnv({
      store,
      search: opts.search(e),
      ...(opts.exportPageSize ? { exportPageSize: opts.exportPageSize } : {}),
    });
    e = again;
  }
  env = e;
  const root = e.auth(await e.login());
  const acme = e.store.tenants.create('Acme');
  return { e, root, acme };
}

function seed(e: TestEnv, acme: Tenant, extra: Partial<InterflowRecord>[] = []): void {
  const cfg = (name: string, tenant: string) => ({
    name,
    tenant,
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-secret' },
  });
  const rc = e.store.connectors.create(cfg('root-c', ROOT_TENANT.name));
  const ac = e.store.connectors.create(cfg('acme-c', 'Acme'));
  const rec = (i: number, t: Tenant, over: Partial<InterflowRecord> = {}) =>
    testRecord(
      { id: t === ROOT_TENANT ? rc.id : ac.id, name: 'c' },
      {
        _id: `${t.id}-${i}`,
        // Pairs of equal timestamps: pages must break ties the way the search orders them.
        timestamp: T0 + Math.floor(i / 2) * 60_000,
        tenantid: t.id,
        tenant_name: t.name,
        severity: i % 3 === 0 ? 70 : 30,
        event_name: `finding ${i}`,
        aws_inspector: { severity: i % 3 === 0 ? 'HIGH' : 'LOW' },
        ...over,
      },
    );
  e.store.commitPage(
    withStates({
      connectorId: rc.id,
      records: [
        ...Array.from({ length: 6 }, (_, i) => rec(i, ROOT_TENANT)),
        ...extra.map((over, k) => rec(100 + k, ROOT_TENANT, over)),
      ],
    }),
  );
  e.store.commitPage(
    withStates({ connectorId: ac.id, records: Array.from({ length: 4 }, (_, i) => rec(i, acme)) }),
  );
}

const get = (e: TestEnv, url: string, headers: object) =>
  e.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: headers as Record<string, string> });
const ndjson = (body: string) =>
  body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as InterflowRecord);

/** RFC 4180 reader (quoted fields, doubled quotes, CRLF), to check what a spreadsheet would read. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') quoted = false;
      else f += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
      i++;
    } else f += c;
  }
  if (f || row.length) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-20))}`);
  return rows;
}

describe('GET /search/export', () => {
  it("exports only the caller's tenants, whatever the query says", async () => {
    const { e, root, acme } = await start({ exportPageSize: 3 });
    seed(e, acme);
    await e.createUser('ann', 'analyst', acme.id);
    const ann = e.auth(await e.login('ann', 'ann-password-123'));
    const all = await get(e, '/search/export', root);
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('application/x-ndjson');
    expect(all.headers['content-disposition']).toMatch(/^attachment; filename="syslog-.*\.ndjson"$/);
    expect(ndjson(all.body)).toHaveLength(10);
    const q = encodeURIComponent(`tenantid:${ROOT_TENANT.id} OR tenant_name:"Root Tenant" OR *`);
    for (const format of ['ndjson', 'csv']) {
      const r = await get(e, `/search/export?format=${format}&q=${q}&fields=tenant_name`, ann);
      expect(r.statusCode).toBe(200);
      const names =
        format === 'csv'
          ? parseCsv(r.body)
              .slice(1)
              .map((row) => row[0])
          : ndjson(r.body).map((x) => x.tenant_name);
      expect(names).toEqual(['Acme', 'Acme', 'Acme', 'Acme']);
    }
    const anon = await e.app.inject({ method: 'GET', url: '/api/v1/search/export' });
    expect(anon.statusCode).toBe(401);
  });

  it('pages (no offset) give exactly the search order, ties included, in every sort', async () => {
    // Nulls on the severity sort (a record without severity) and ties on every key.
    const { e, root, acme } = await start({ exportPageSize: 2 });
    seed(e, acme, [{ severity: null as unknown as number }, { severity: null as unknown as number }]);
    for (const sort of [
      'timestamp:desc',
      'timestamp:asc',
      'severity:desc',
      'severity:asc',
      'write_time:desc',
    ]) {
      const expected = (await get(e, `/search?limit=1000&sort=${sort}`, root))
        .json()
        .records.map((r: InterflowRecord) => r._id);
      expect(expected).toHaveLength(12);
      const r = await get(e, `/search/export?sort=${sort}`, root);
      expect(
        ndjson(r.body).map((x) => x._id),
        sort,
      ).toEqual(expected);
      const q = encodeURIComponent('aws_inspector.severity:LOW');
      const some = (await get(e, `/search?limit=1000&sort=${sort}&q=${q}`, root)).json().records;
      const exp = await get(e, `/search/export?sort=${sort}&q=${q}&limit=3`, root);
      expect(ndjson(exp.body).map((x) => x._id)).toEqual(some.slice(0, 3).map((x: InterflowRecord) => x._id));
      expect(exp.headers['x-total-count']).toBe('3');
    }
  });

  it('writes RFC 4180 CSV with the chosen columns, quoting, and formula cells defused', async () => {
    const { e, root, acme } = await start();
    seed(e, acme, [
      {
        event_name: 'a "quoted", comma\nand newline',
        event_status: '=HYPERLINK("http://x")',
        timestamp: T0 + 9e6,
      },
      { event_name: '+1', event_status: '@SUM(A1)', timestamp: T0 + 8e6 },
      { event_name: '-2', event_status: 'plain', timestamp: T0 + 7e6, severity: -5 },
    ]);
    const r = await get(
      e,
      `/search/export?format=csv&limit=3&fields=${encodeURIComponent('timestamp,event_name,event_status,severity,msg_origin.processor.name,nope')}`,
      root,
    );
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.body).toContain('"a ""quoted"", comma\nand newline"');
    expect(parseCsv(r.body)).toEqual([
      ['timestamp', 'event_name', 'event_status', 'severity', 'msg_origin.processor.name', 'nope'],
      [
        new Date(T0 + 9e6).toISOString(),
        'a "quoted", comma\nand newline',
        `'=HYPERLINK("http://x")`,
        '30',
        'c',
        '',
      ],
      [new Date(T0 + 8e6).toISOString(), `'+1`, `'@SUM(A1)`, '30', 'c', ''],
      // A number is a number (never a formula); text starting with - is defused.
      [new Date(T0 + 7e6).toISOString(), `'-2`, 'plain', '-5', 'c', ''],
    ]);
    const dflt = parseCsv((await get(e, '/search/export?format=csv&limit=1', root)).body);
    expect(dflt[0]).toEqual([
      'timestamp',
      'severity',
      'event_name',
      'event_status',
      'tenant_name',
      'msg_origin.processor.name',
      '_id',
    ]);
  });

  it('bounds: limit 1..1,000,000, a known format, field paths; a bad query is a 400 before any byte', async () => {
    const { e, root, acme } = await start();
    seed(e, acme);
    for (const [qs, field] of [
      ['limit=0', 'limit'],
      ['limit=1000001', 'limit'],
      ['format=xml', 'format'],
      ['format=csv&fields=a,b%20c', 'fields'],
      [`format=csv&fields=${Array.from({ length: 101 }, (_, i) => `f${i}`).join(',')}`, 'fields'],
      ['offset=5', ''],
    ] as const) {
      const r = await get(e, `/search/export?${qs}`, root);
      expect(r.statusCode, qs).toBe(400);
      expect(r.json().error.code, qs).toBe('ERR_VALIDATION');
      if (field) expect(r.json().error.fields[0].field, qs).toBe(field);
    }
    const bad = await get(e, `/search/export?q=${encodeURIComponent('severity:(')}`, root);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ERR_QUERY_INVALID');
    const max = await get(e, '/search/export?limit=1000000', root);
    expect(ndjson(max.body)).toHaveLength(10);
  });

  it('streams with backpressure: pages are fetched as the client reads, rows counted as they arrive', async () => {
    const N = 4000;
    const PAGE = 50;
    let pages = 0;
    const { e, root } = await start({
      exportPageSize: PAGE,
      search: (first) => {
        const inner = inProcessSearch(first.store.index);
        return {
          ...inner,
          exportPage: (o) => {
            pages++;
            return inner.exportPage(o);
          },
        };
      },
    });
    const c = e.store.connectors.create({
      name: 'bulk',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-secret' },
    });
    // ~4 KB a record: 16 MB in all, four times what the loopback socket buffers took here (~4 MB).
    const pad = 'x'.repeat(4000);
    for (let k = 0; k < N; k += 1000) {
      const records = Array.from({ length: 1000 }, (_, i) =>
        testRecord({ id: c.id, name: 'bulk' }, { _id: `b${k + i}`, timestamp: T0 + k + i, event_name: pad }),
      );
      e.store.commitPage(withStates({ connectorId: c.id, records }));
    }
    await e.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = e.app.server.address() as AddressInfo;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/api/v1/search/export', headers: root }, resolve)
        .on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    res.pause();
    // Not reading: the server stops asking for pages once the socket is full (it settles).
    let seen = -1;
    for (let i = 0; i < 100 && seen !== pages; i++) {
      seen = pages;
      await new Promise((r) => setTimeout(r, 100));
    }
    const whilePaused = pages;
    expect(whilePaused).toBeLessThan(N / PAGE / 2);
    // Counted as the bytes arrive: never the whole body in memory.
    let rows = 0;
    let ids = 0;
    let tail = '';
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const text = tail + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n');
      for (let i = text.indexOf('\n'); i >= 0 && i <= cut; i = text.indexOf('\n', i + 1)) rows++;
      ids += (text.slice(0, cut + 1).match(/"_id":"b\d+"/g) ?? []).length;
      tail = text.slice(cut + 1);
    }
    expect(tail).toBe('');
    expect(rows).toBe(N);
    expect(ids).toBe(N);
    // Every page once (the last full page is followed by an empty one).
    expect(pages).toBe(N / PAGE + 1);
  });
});

describe('GET /search/fields', () => {
  it('counts fields and top values of a bounded sample of the caller tenants', async () => {
    const { e, root, acme } = await start();
    seed(e, acme);
    await e.createUser('ann', 'analyst', acme.id);
    const ann = e.auth(await e.login('ann', 'ann-password-123'));
    const r = await get(e, '/search/fields?top=3', root);
    expect(r.statusCode).toBe(200);
    const body = r.json() as {
      total: number;
      sampled: number;
      fields: { path: string; count: number; top: { value: string; count: number }[] }[];
    };
    expect(body.total).toBe(10);
    expect(body.sampled).toBe(10);
    const sev = body.fields.find((f) => f.path === 'aws_inspector.severity')!;
    // Root: 0,3 HIGH of 6; Acme: 0,3 HIGH of 4.
    expect(sev).toMatchObject({
      count: 10,
      top: [
        { value: 'LOW', count: 6 },
        { value: 'HIGH', count: 4 },
      ],
    });
    const names = body.fields.find((f) => f.path === 'tenant_name')!;
    expect(names.top).toEqual([
      { value: 'Root Tenant', count: 6 },
      { value: 'Acme', count: 4 },
    ]);
    const mine = (await get(e, '/search/fields', ann)).json() as typeof body;
    expect(mine.total).toBe(4);
    expect(mine.fields.find((f) => f.path === 'tenant_name')!.top).toEqual([{ value: 'Acme', count: 4 }]);
    const sampled = (
      await get(e, '/search/fields?sample=2&q=aws_inspector.severity:LOW', root)
    ).json() as typeof body;
    expect(sampled).toMatchObject({ total: 6, sampled: 2 });
    expect(sampled.fields.find((f) => f.path === '_id')!.count).toBe(2);
    for (const qs of ['sample=0', 'sample=1001', 'top=21']) {
      const bad = await get(e, `/search/fields?${qs}`, root);
      expect(bad.statusCode, qs).toBe(400);
      expect(bad.json().error.fields[0].field).toBe(qs.split('=')[0]);
    }
  });
});

describe('GET /search unknown fields', () => {
  it('names the fields no record has (a typo is a warning, not a silent 0)', async () => {
    const { e, root, acme } = await start();
    seed(e, acme);
    const typo = await get(
      e,
      `/search?q=${encodeURIComponent('sevrity:>=70 OR aws_inspector.sevrity:HIGH')}`,
      root,
    );
    expect(typo.json()).toMatchObject({ total: 0, unknownFields: ['sevrity', 'aws_inspector.sevrity'] });
    for (const q of [
      'severity:>=70',
      'aws_inspector.severity:HIGH',
      'msg_origin.processor.name:c',
      '_exists_:aws_inspector',
    ]) {
      const ok = await get(e, `/search?q=${encodeURIComponent(q)}`, root);
      expect(ok.json().total, q).toBeGreaterThan(0);
      expect(ok.json().unknownFields, q).toBeUndefined();
    }
  });
});

describe('GET /search unknown fields, per tenant', () => {
  it("a field only another tenant's records have is unknown to this tenant's user", async () => {
    const { e, root, acme } = await start();
    // Root's extra record has a field Acme's records do not.
    seed(e, acme, [{ root_only: 'x' } as Partial<InterflowRecord>]);
    await e.createUser('ann', 'analyst', acme.id);
    const ann = e.auth(await e.login('ann', 'ann-password-123'));
    const q = `/search?q=${encodeURIComponent('root_only:x OR aws_inspector.severity:HIGH')}`;
    const asRoot = (await get(e, q, root)).json();
    expect(asRoot.unknownFields).toBeUndefined();
    const asAnn = (await get(e, q, ann)).json();
    expect(asAnn.total).toBeGreaterThan(0);
    expect(asAnn.unknownFields).toEqual(['root_only']);
  });
});

describe('GET /search/histogram robust=true', () => {
  const HOUR = 3_600_000;
  it('all time without the outliers: the buckets span the bulk, span counts the records left out', async () => {
    const { e } = await start();
    const root = e.auth(await e.login());
    const c = e.store.connectors.create({
      name: 'hist-c',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-secret' },
    });
    // 100 records over 10 hours, one 3 years before, two 2 years after.
    const times = [
      ...Array.from({ length: 100 }, (_, i) => T0 + i * 6 * 60_000),
      T0 - 3 * 365 * 24 * HOUR,
      T0 + 2 * 365 * 24 * HOUR,
      T0 + 2 * 365 * 24 * HOUR + HOUR,
    ];
    e.store.commitPage(
      withStates({
        connectorId: c.id,
        records: times.map((t, i) =>
          testRecord(
            { id: c.id, name: 'hist-c' },
            { _id: `h-${i}`, timestamp: t, write_time: t, event_name: i % 2 ? 'odd one' : 'even one' },
          ),
        ),
      }),
    );
    for (const q of ['', 'even OR odd']) {
      const base = `/search/histogram?timeField=timestamp&q=${encodeURIComponent(q)}`;
      const whole = (await get(e, base, root)).json();
      expect(whole.span, q).toBeUndefined();
      // The whole span: 5 years in 60 buckets, the bulk in one bar.
      expect(Math.max(...whole.buckets.map((b: { count: number }) => b.count)), q).toBe(100);
      const robust = (await get(e, `${base}&robust=true`, root)).json();
      expect(robust.span, q).toEqual({
        min: times[100],
        max: times[102],
        before: 1,
        after: 2,
      });
      const n = robust.buckets.reduce((s: number, b: { count: number }) => s + b.count, 0);
      expect(n, q).toBe(100);
      expect(robust.interval, q).toBeLessThanOrEqual(HOUR);
      expect(robust.buckets[0].start).toBeLessThanOrEqual(T0);
      // A range given: robust does not apply.
      const ranged = (await get(e, `${base}&robust=true&from=${times[100]}&to=${times[102]}`, root)).json();
      expect(ranged.span, q).toBeUndefined();
    }
    const bad = await get(e, '/search/histogram?robust=yes', root);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0]).toMatchObject({
      field: 'robust',
      message: 'robust must be true or false',
    });
  });

  it('no outliers: the whole span, no span field', async () => {
    const { e, root, acme } = await start();
    seed(e, acme);
    const h = (await get(e, '/search/histogram?timeField=timestamp&robust=true', root)).json();
    expect(h.span).toBeUndefined();
    expect(h.buckets.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(10);
  });
});
