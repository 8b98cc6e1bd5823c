/**
 * Threat Hunting end to end, in Chromium at 1440x900, against the real server (test/e2e/stack.ts)
 * with records committed to its store: export (a real download), the field list, the record
 * panel's field table and deep link, columns in the URL, sortable / not sortable headers, the
 * unknown-field warning, time-range errors in human time, the time zone switch, auto-refresh,
 * the histogram (y-axis, bucket size, zoom by drag and by keyboard, "All time" without
 * outliers), field-name completion in the query and the log filter editor, and the log filter
 * preview (no name needed, sample records, unknown fields).
 * A failing test leaves a screenshot in test-artifacts/screenshots/hunt-FAILED-*.png; any
 * browser console error or page error fails the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { startStack, type Stack } from './stack.js';
import { buildWeb, launchChromium, screenshotOnFailure } from './browser.js';
import { testRecord, withStates } from '../support/records.js';
import type { InterflowRecord } from '../../src/core/record.js';

const SHOTS = path.resolve('test-artifacts/screenshots');
const ADMIN_PASSWORD = 'e2e-Hunt-Passw0rd!';
/** Upper bound for things that happen in the background. Not a timed assertion. */
const BOUND_MS = 30_000;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const N = 120;

let tmp: string;
let stack: Stack;
let browser: Browser;
let page: Page;
let connectorId = '';
const problems: string[] = [];

async function until(what: string, fn: () => Promise<boolean>, bound = BOUND_MS): Promise<void> {
  const end = Date.now() + bound;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Records of the seeded connector: i % 4 === 0 HIGH (severity 70), else LOW (30). */
function seed(from: number, count: number): void {
  const records: InterflowRecord[] = Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const high = i % 4 === 0;
    return testRecord(
      { id: connectorId, name: 'hunt-c' },
      {
        _id: `hunt-${i}`,
        timestamp: T0 + i * 60_000,
        write_time: T0 + i * 60_000,
        severity: high ? 70 : 30,
        // A value a spreadsheet would run: the export defuses it.
        event_name: i === 7 ? '=HYPERLINK("http://evil")' : `CVE-2026-${1000 + i} in openssl`,
        aws_inspector: { severity: high ? 'HIGH' : 'LOW', status: 'ACTIVE' },
      },
    );
  });
  stack.server.store.commitPage(withStates({ connectorId, records }));
}

async function total(): Promise<number> {
  const el = page.locator('[data-total]');
  await el.waitFor();
  return Number(await el.getAttribute('data-total'));
}

/** Open Threat Hunting at `query` (hash query string) and wait for its search's answer. */
async function openSearch(query: string): Promise<number> {
  // A fresh load: a link to the same search (only columns or the record differ) would not search again.
  await page.goto('about:blank');
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search');
  await page.goto(`${stack.url}/#/search?${query}`);
  const res = await answered;
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { total: number };
  await expect.poll(total).toBe(body.total);
  return body.total;
}

const iso = (i: number) => new Date(T0 + i * 60_000).toISOString();
const hashParams = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');

describe('Threat Hunting in Chromium', () => {
  screenshotOnFailure(() => page);
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-e2e-hunt-'));
    fs.mkdirSync(SHOTS, { recursive: true });
    const webRoot = path.join(tmp, 'web');
    await buildWeb(webRoot);
    stack = await startStack({ dataDir: path.join(tmp, 'data'), webRoot, adminPassword: ADMIN_PASSWORD });
    connectorId = stack.server.store.connectors.create({
      name: 'hunt-c',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'hunt-secret-1' },
    }).id;
    seed(0, N);
    browser = await launchChromium();
    // A zone other than UTC, so that switching the time zone shows.
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      timezoneId: 'America/New_York',
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() !== 'error') return;
      if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
      problems.push(`console error: ${m.text()}`);
    });
    await page.goto(stack.url);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('nav');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: path.join(SHOTS, `hunt-FAILED-${name}.png`) }).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('exports the query as CSV (the columns shown, formulas defused) and NDJSON, as downloads', async () => {
    const n = await openSearch(`range=all&q=${encodeURIComponent('aws_inspector.severity:LOW')}`);
    expect(n).toBe(90);
    await page.click('button:has-text("Export")');
    const dialog = page.locator('[role=dialog][aria-label=Export]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Export 90 records');
    const csvDownload = page.waitForEvent('download');
    await dialog.locator('a:has-text("CSV")').click();
    const csv = fs.readFileSync((await (await csvDownload).path())!, 'utf8');
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(91);
    expect(lines[0]).toBe('timestamp,write_time,severity,event_name,event_status,msg_origin.processor.name');
    // Newest first, times as ISO-8601 UTC, as the table orders them.
    expect(lines[1]).toBe(`${iso(119)},${iso(119)},30,CVE-2026-1119 in openssl,ACTIVE,hunt-c`);
    expect(lines).toContain(`${iso(7)},${iso(7)},30,"'=HYPERLINK(""http://evil"")",ACTIVE,hunt-c`);
    await page.click('button:has-text("Export")');
    const ndDownload = page.waitForEvent('download');
    await dialog.locator('a:has-text("NDJSON")').click();
    const nd = fs
      .readFileSync((await (await ndDownload).path())!, 'utf8')
      .trim()
      .split('\n');
    expect(nd).toHaveLength(90);
    expect((JSON.parse(nd[0]!) as InterflowRecord)._id).toBe('hunt-119');
  });

  it('field list: top values of the hits; filter for / filter out edit the query; add as column', async () => {
    expect(await openSearch('range=all')).toBe(N);
    const field = page.locator('[data-field="aws_inspector.severity"]');
    await field.locator('.field-name').click();
    const low = field.locator('[data-value="LOW"]');
    await low.waitFor();
    expect(await low.innerText()).toContain('75%');
    expect(await page.locator('[data-testid=field-sample]').innerText()).toBe('of 120 records');
    await page.screenshot({ path: path.join(SHOTS, 'hunt-01-field-list.png') });

    const filtered = page.waitForResponse(
      (r) => new URL(r.url()).searchParams.get('q') === 'aws_inspector.severity:"HIGH"',
    );
    await field.locator('button[aria-label="Filter for aws_inspector.severity: HIGH"]').click();
    await filtered;
    await expect.poll(total).toBe(30);
    expect(await page.inputValue('[aria-label=Query]')).toBe('aws_inspector.severity:"HIGH"');
    // Filter out, on top of it: AND NOT.
    const f2 = page.locator('[data-field="severity"]');
    await f2.locator('.field-name').click();
    await f2.locator('button[aria-label="Filter out severity: 70"]').click();
    await expect.poll(total).toBe(0);
    expect(await page.inputValue('[aria-label=Query]')).toBe(
      'aws_inspector.severity:"HIGH" AND NOT severity:70',
    );

    await openSearch('range=all');
    await page
      .locator('[data-field="aws_inspector.status"] button[aria-label="Add column aws_inspector.status"]')
      .click();
    await page.waitForSelector('table[aria-label=Results] th:has-text("aws_inspector.status")');
    expect(hashParams().get('cols')).toContain('aws_inspector.status');
  });

  it('record panel: a field table beside the JSON with filter and column actions; a deep link opens the record', async () => {
    await openSearch('range=all&size=25');
    await page.locator('table[aria-label=Results] tbody tr').nth(2).click();
    const panel = page.locator('aside[aria-label=Record]');
    await panel.waitFor();
    expect(hashParams().get('record')).toBe('hunt-117');
    const row = panel.locator('tr[data-field="aws_inspector.severity"]');
    expect(await row.locator('td.record-value').innerText()).toBe('LOW');
    // The raw JSON under the field table.
    expect(JSON.parse(await panel.locator('[data-testid=record-json]').innerText())._id).toBe('hunt-117');
    await page.screenshot({ path: path.join(SHOTS, 'hunt-02-record-panel.png') });
    await row.locator('button[aria-label="Filter out aws_inspector.severity"]').click();
    await expect.poll(total).toBe(30);

    // A deep link to a record that is not on the page shown: it opens all the same.
    const link = `${stack.url}/#/search?range=all&size=25&record=hunt-3`;
    const other = await page.context().newPage();
    await other.goto(link);
    await other.locator('aside[aria-label=Record] .mono:has-text("hunt-3")').waitFor();
    expect(await other.locator('tr[data-field="_id"] td.record-value').innerText()).toBe('hunt-3');
    // The panel's own link is the page's URL with the record.
    expect(await other.locator('[data-testid=record-link]').getAttribute('href')).toContain('record=hunt-3');
    await other.goto(`${stack.url}/#/search?range=all&record=no-such-record`);
    await other.locator('[data-testid=record-missing]').waitFor();
    await other.close();
  });

  it('columns live in the URL; sortable and not sortable headers; the default table fits 1440 px', async () => {
    await openSearch(`range=all&cols=${encodeURIComponent('event_name,severity,_id')}`);
    const heads = await page.locator('table[aria-label=Results] th').allTextContents();
    expect(heads.map((h) => h.replace(/[▲▼↕\s]+$/u, '').trim())).toEqual(['event_name', 'severity', '_id']);
    const plain = page.locator('th .th-plain[data-sortable=false]');
    expect(await plain.allTextContents()).toEqual(['event_name', '_id']);
    expect(await plain.first().getAttribute('title')).toMatch(/^Not sortable: the index sorts on .*severity/);
    const sorted = page.waitForResponse((r) => new URL(r.url()).searchParams.get('sort') === 'severity:desc');
    await page.click('th button.th-sort:has-text("severity")');
    await sorted;
    expect(hashParams().get('sort')).toBe('severity:desc');

    await page.evaluate(() => window.localStorage.removeItem('ic.search.columns'));
    await openSearch('range=all');
    const wrap = page.locator('.results-wrap');
    const { scroll, client } = await wrap.evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
    }));
    expect(scroll).toBeLessThanOrEqual(client);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
  });

  it('an unknown field is a visible warning; time-range errors in human time; the time zone is shown and switches', async () => {
    await openSearch(`range=all&q=${encodeURIComponent('sevrity:>=70')}`);
    const warn = page.locator('[data-testid=unknown-fields]');
    await warn.waitFor();
    expect(await warn.innerText()).toContain('No record has the field sevrity');

    // Browser zone (New York) first, then UTC: the first cell follows.
    await openSearch('range=all&tz=local');
    expect(await page.locator('[data-testid=tz-shown]').innerText()).toBe('Times: America/New_York');
    const first = page.locator('table[aria-label=Results] tbody tr').first().locator('td').first();
    expect(await first.innerText()).toBe('2026-03-01 08:59:00');
    await page.selectOption('[aria-label="Time zone"]', 'utc');
    await expect.poll(() => first.innerText()).toBe('2026-03-01 13:59:00');
    expect(await page.locator('[data-testid=tz-shown]').innerText()).toBe('Times: UTC');

    await page.selectOption('[aria-label="Time range"]', 'custom');
    await page.fill('[aria-label=From]', '2026-03-02T10:00');
    await page.fill('[aria-label=To]', '2026-03-01T10:00');
    await page.click('button:has-text("Apply")');
    const err = page.locator('[data-testid=range-error]');
    await err.waitFor();
    expect(await err.innerText()).toBe(
      'From (2026-03-02 10:00:00 UTC) is after To (2026-03-01 10:00:00 UTC): swap them or pick another range.',
    );
    await page.screenshot({ path: path.join(SHOTS, 'hunt-03-warnings.png') });
    // A link with From after To: the same message, in the times shown.
    await page.goto('about:blank');
    await page.goto(`${stack.url}/#/search?range=custom&from=${T0 + 86_400_000}&to=${T0}&tz=utc`);
    await expect
      .poll(() => page.locator('[data-testid=range-error]').innerText())
      .toBe(
        'From (2026-03-02 12:00:00 UTC) is after To (2026-03-01 12:00:00 UTC): swap them or pick another range.',
      );
  });

  it('histogram: a y-axis, the bucket size, an accessible description; drag to zoom sets the range and the URL', async () => {
    expect(await openSearch('range=all&tz=utc')).toBe(N);
    const fig = page.locator('[data-testid=histogram]');
    // 120 records a minute apart: 2 hours in 5-minute bars, 5 records each.
    expect(await fig.locator('[data-testid=hist-bucket]').innerText()).toBe('1 bar = 5 minutes');
    expect(await fig.locator('[data-testid=hist-yaxis] span').allTextContents()).toEqual([
      '0',
      '2',
      '4',
      '6',
    ]);
    const area = fig.locator('.hist-area');
    const descId = await area.getAttribute('aria-describedby');
    const desc = await page.locator(`[id="${descId}"]`).innerText();
    expect(desc).toBe(
      '24 bars of 5 minutes from 2026-03-01 12:00:00 to 2026-03-01 14:00:00, 120 records. Peak: 5 records from 2026-03-01 12:00:00.',
    );
    expect(await fig.locator('[data-testid=hist-outliers]').count()).toBe(0);

    // Drag from bar 2 to bar 7: six bars, 30 minutes, 30 records.
    const box = (await fig.locator('svg').boundingBox())!;
    const x = (bar: number) => box.x + ((bar + 0.5) * box.width) / 24;
    const y = box.y + box.height / 2;
    const zoomed = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/api/v1/search' && new URL(r.url()).searchParams.has('from'),
    );
    await page.mouse.move(x(2), y);
    await page.mouse.down();
    await page.mouse.move(x(5), y, { steps: 4 });
    await fig.locator('[data-testid=hist-selection]').waitFor();
    await page.mouse.move(x(7), y, { steps: 4 });
    await page.mouse.up();
    const res = await zoomed;
    expect(new URL(res.url()).searchParams.get('from')).toBe(String(T0 + 10 * 60_000));
    expect(new URL(res.url()).searchParams.get('to')).toBe(String(T0 + 40 * 60_000 - 1));
    await expect.poll(total).toBe(30);
    expect(hashParams().get('range')).toBe('custom');
    expect(hashParams().get('from')).toBe(String(T0 + 10 * 60_000));
    expect(hashParams().get('to')).toBe(String(T0 + 40 * 60_000 - 1));
    expect(await page.inputValue('[aria-label="Time range"]')).toBe('custom');
    expect(await page.inputValue('[aria-label=From]')).toBe('2026-03-01T12:10');
    // The zoomed chart: 30 minutes in 60 bars of 30 seconds.
    await expect.poll(() => fig.locator('[data-testid=hist-bucket]').innerText()).toBe('1 bar = 30 seconds');
    await page.screenshot({ path: path.join(SHOTS, 'hunt-04-histogram-zoomed.png') });
    // Back in the browser's history: the range before the zoom.
    await page.goBack();
    await expect.poll(() => hashParams().get('range')).toBe('all');
    await expect.poll(total).toBe(N);
  });

  it('histogram zoom with the keyboard: arrows move, Shift+arrows select, Enter zooms', async () => {
    expect(await openSearch('range=all&tz=utc')).toBe(N);
    const area = page.locator('[data-testid=histogram] .hist-area');
    await area.focus();
    await page.keyboard.press('End');
    const status = page.locator('[data-testid=hist-status]');
    expect(await status.innerText()).toBe(
      'Bar 24 of 24: 2026-03-01 13:55:00 to 2026-03-01 14:00:00, 5 records. Enter zooms to it, Shift+arrows select more.',
    );
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Shift+ArrowLeft');
    expect(await status.innerText()).toBe(
      'Selected 3 bars, 2026-03-01 13:45:00 to 2026-03-01 14:00:00: 15 records. Enter zooms.',
    );
    // Esc drops the selection; select again and zoom.
    await page.keyboard.press('Escape');
    expect(await status.innerText()).toBe('');
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    await expect.poll(total).toBe(15);
    expect(hashParams().get('from')).toBe(String(T0 + 105 * 60_000));
  });

  it('query input: field names complete as you type (ARIA combobox, keyboard)', async () => {
    expect(await openSearch('range=all')).toBe(N);
    const input = page.locator('[aria-label=Query]');
    expect(await input.getAttribute('role')).toBe('combobox');
    await input.fill('');
    await input.pressSequentially('NOT aws_inspector.sev');
    const list = page.locator(`[id="${await input.getAttribute('aria-controls')}"]`);
    await expect.poll(() => input.getAttribute('aria-expanded')).toBe('true');
    expect(await list.getAttribute('role')).toBe('listbox');
    expect(await list.locator('[role=option]').allTextContents()).toEqual(['aws_inspector.severity']);
    await page.keyboard.press('ArrowDown');
    const active = await input.getAttribute('aria-activedescendant');
    expect(await page.locator(`[id="${active}"]`).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    expect(await input.inputValue()).toBe('NOT aws_inspector.severity:');
    expect(await input.getAttribute('aria-expanded')).toBe('false');
    // The caret is after the colon: typing goes on from there; Enter (no option active) searches.
    await page.keyboard.type('LOW');
    const searched = page.waitForResponse(
      (r) => new URL(r.url()).searchParams.get('q') === 'NOT aws_inspector.severity:LOW',
    );
    await page.keyboard.press('Enter');
    await searched;
    await expect.poll(total).toBe(30);

    // A word matching a part of a name; Esc closes the list without clearing the box.
    await input.fill('');
    await input.pressSequentially('sev');
    await expect
      .poll(() => list.locator('[role=option]').allTextContents())
      .toEqual(['severity', 'aws_inspector.severity']);
    await page.keyboard.press('Escape');
    expect(await input.getAttribute('aria-expanded')).toBe('false');
    expect(await input.inputValue()).toBe('sev');
    // A click on an option takes it.
    await page.keyboard.press('ArrowDown');
    await list.locator('[role=option]:has-text("aws_inspector.severity")').click();
    expect(await input.inputValue()).toBe('aws_inspector.severity:');
    // Inside a value or a phrase: no completion.
    await input.fill('event_name:"sev');
    expect(await input.getAttribute('aria-expanded')).toBe('false');
  });

  it('log filter editor: fields from the known ones, an unknown field flagged, preview without a name shows matching records', async () => {
    await page.goto(`${stack.url}/#/log-filters`);
    await page.click('button:has-text("+ Create")');
    const editor = page.locator('[data-testid=filter-editor]');
    await editor.waitFor();
    const field = editor.locator('[aria-label="Condition 1 field"]');
    await field.pressSequentially('aws_inspector.st');
    const list = page.locator(`[id="${await field.getAttribute('aria-controls')}"]`);
    await expect
      .poll(() => list.locator('[role=option]').allTextContents())
      .toEqual(['aws_inspector.status']);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await field.inputValue()).toBe('aws_inspector.status');
    // Enter took the option: the dialog is still open, nothing was saved.
    await editor.waitFor();
    expect(await editor.locator('[data-testid=condition-0-unknown]').count()).toBe(0);
    await editor.locator('[aria-label="Condition 1 values"]').fill('ACTIVE');

    // Free text is allowed, and a field no record has is flagged.
    await editor.locator('button:has-text("+ Add condition")').click();
    const f2 = editor.locator('[aria-label="Condition 2 field"]');
    await f2.fill('aws_inspector.sevrity');
    await editor.locator('[data-testid=condition-1-unknown]').waitFor();
    await editor.locator('[aria-label="Condition 2 operator"]').selectOption('not_exists');

    // No name yet: the preview works all the same.
    expect(await editor.locator('#lf-name').inputValue()).toBe('');
    await editor.locator('button:has-text("Preview")').click();
    const preview = editor.locator('[data-testid=filter-preview]');
    await expect
      .poll(() => preview.innerText())
      .toContain(`This filter would have discarded ${N} of the last ${N} records.`);
    expect(await preview.locator('[data-testid=preview-unknown]').innerText()).toBe(
      'None of these records has the field aws_inspector.sevrity: check the spelling.',
    );
    const rows = preview.locator('[data-testid=preview-sample]');
    expect(await rows.count()).toBe(5);
    expect(await preview.locator('th').allTextContents()).toEqual([
      'timestamp',
      'aws_inspector.status',
      'aws_inspector.sevrity',
    ]);
    expect(await rows.first().locator('td').nth(1).innerText()).toBe('ACTIVE');
    expect(await editor.locator('text=Name is required').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'hunt-05-log-filter-preview.png') });
    // Saving still needs the name.
    await editor.locator('button:has-text("Save")').click();
    await editor.locator('text=Name is required').waitFor();
    await page.keyboard.press('Escape');
  });

  it('auto-refresh runs the search again on its interval', async () => {
    await openSearch('range=all&refresh=10s');
    expect(await page.inputValue('[aria-label=Auto-refresh]')).toBe('10s');
    seed(N, 5);
    await until('the auto-refresh shows the new records', async () => (await total()) === N + 5);
    await page.selectOption('[aria-label=Auto-refresh]', 'off');
    expect(hashParams().get('refresh')).toBeNull();
  });

  it('screenshot of the page at 1440x900', async () => {
    await openSearch('range=all&tz=utc');
    await page.locator('[data-field="aws_inspector.severity"] .field-name').click();
    await page.screenshot({ path: path.join(SHOTS, 'hunt-after.png') });
    if (process.env.HUNT_SHOT) await page.screenshot({ path: process.env.HUNT_SHOT });
    // The docs' screenshots (docs/ui.md): DOCS_SHOTS=docs/screenshots, with a suffix (e.g. -before).
    if (process.env.DOCS_SHOTS) {
      const suffix = process.env.DOCS_SHOTS_SUFFIX ?? '';
      await page.screenshot({ path: path.join(process.env.DOCS_SHOTS, `threat-hunting${suffix}.png`) });
      await page.goto(`${stack.url}/#/profiles`);
      await page.locator('h1:has-text("Data Analyzer profiles")').waitFor();
      await page.locator('text=hunt-c').first().waitFor();
      await page.screenshot({ path: path.join(process.env.DOCS_SHOTS, `profiles${suffix}.png`) });
    }
  });

  it('histogram "All time": a few outliers years away do not squash the others; they are named', async () => {
    // One record 3 years before the others, two 2 years after.
    const YEAR = 365 * 86_400_000;
    const outliers = [T0 - 3 * YEAR, T0 + 2 * YEAR, T0 + 2 * YEAR + 3_600_000].map((t, k) =>
      testRecord(
        { id: connectorId, name: 'hunt-c' },
        { _id: `hunt-outlier-${k}`, timestamp: t, write_time: t, event_name: 'outlier' },
      ),
    );
    stack.server.store.commitPage(withStates({ connectorId, records: outliers }));
    const histogram = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search/histogram');
    await openSearch('range=all&tz=utc&timeField=timestamp');
    expect(new URL((await histogram).url()).searchParams.get('robust')).toBe('true');
    const fig = page.locator('[data-testid=histogram]');
    // The bars still span the two hours of the others, not five years.
    expect(await fig.locator('[data-testid=hist-bucket]').innerText()).toBe('1 bar = 5 minutes');
    expect(await fig.locator('[data-testid=hist-outliers]').innerText()).toBe(
      'Outliers not in the chart: 1 record earlier (from 2023-03-02 12:00:00), 2 records later (to 2028-02-29 13:00:00)',
    );
    const desc = await page
      .locator(`[id="${await fig.locator('.hist-area').getAttribute('aria-describedby')}"]`)
      .innerText();
    expect(desc).toContain('Outliers not in the chart: 1 record earlier');
    expect(await total()).toBe(N + 5 + 3);
    await page.screenshot({ path: path.join(SHOTS, 'hunt-06-histogram-outliers.png') });
  });
});
