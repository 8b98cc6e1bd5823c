/**
 * The web UI end to end, in a real browser: Debian's Chromium driven by playwright-core, against
 * the real server (buildApp + store + scheduler on a temp SQLite dir) and the real AWS emulator.
 * The walk follows the spec: log in, create connectors through the wizard, Test (success and a
 * 403 failure), add to the Default profile, find the records in Threat Hunting, add a log filter
 * and see records excluded from the next run, View Events. Screenshots of every page go to
 * test-artifacts/screenshots/. Any browser console error or page error fails the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Stack } from './stack.js';
import { startBrowserStack, type BrowserStack, screenshotOnFailure } from './browser.js';
import { ndjsonFindings, writeFindings } from '../support/connectors/ndjson/index.js';

const ADMIN_PASSWORD = 'e2e-Admin-Passw0rd!';
const READER = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const SOURCE = { id: 'AKIAI44QH8DHBEXAMPLE', secret: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY' };
/** Upper bound for things that happen in the background (a collection run). Not a timed assertion. */
const BOUND_MS = 45_000;

let b: BrowserStack;
let tmp: string;
let stack: Stack;
let page: Page;
/** Failed HTTP responses the walk provokes on purpose: `METHOD path status`. */
const expectedHttpErrors: RegExp[] = [/^GET \/api\/v1\/auth\/me 401$/];

const shot = (name: string) => b.shot(name);

/** Poll `fn` until it returns true, at most `bound` ms. */
async function until(what: string, fn: () => Promise<boolean>, bound = BOUND_MS): Promise<void> {
  const end = Date.now() + bound;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function searchTotal(): Promise<number> {
  const el = page.locator('[data-total]');
  await el.waitFor();
  return Number(await el.getAttribute('data-total'));
}

/** Run a search from the query box; the UI's total must be the API's answer to that query. */
async function search(q: string): Promise<number> {
  await page.fill('[aria-label=Query]', q);
  const answered = page.waitForResponse((r) => {
    const u = new URL(r.url());
    return u.pathname === '/api/v1/search' && u.searchParams.get('q') === q;
  });
  await page.press('[aria-label=Query]', 'Enter');
  const res = await answered;
  expect(res.status()).toBe(200);
  const { total } = (await res.json()) as { total: number };
  await expect.poll(searchTotal).toBe(total);
  return total;
}

/** The wizard's Test of the unsaved configuration: waits for success, closes; the dialog's text. */
async function testUnsaved(screenshot?: string): Promise<string> {
  await page.click('button:has-text("Test")');
  const dialog = page.locator('[data-testid=test-dialog]');
  await dialog.locator('[data-testid=test-success]').waitFor();
  const text = await dialog.innerText();
  if (screenshot) await shot(screenshot);
  await dialog.locator('button[aria-label=Close]').click();
  await dialog.waitFor({ state: 'detached' });
  return text;
}

/** Submit on the wizard's Confirm tab: the connector created (201). */
async function submitNew(): Promise<{ id: string; typeId: string; type: string }> {
  const created = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/connectors',
  );
  await page.click('button:has-text("Submit")');
  const res = await created;
  expect(res.status()).toBe(201);
  return (await res.json()) as { id: string; typeId: string; type: string };
}

async function createConnector(opts: {
  name: string;
  key: { id: string; secret: string };
  /** The answer to the Data Analyzer profile prompt; `forbidden`: OK, and the server refuses (not root). */
  addToDefault: 'ok' | 'cancel' | 'forbidden';
  shots?: boolean;
  /** First submit an endpoint whose host the server does not allow: the error lands on that field. */
  badEndpointFirst?: boolean;
}): Promise<string> {
  await page.click('a:has-text("+ Create")');
  await page.waitForSelector('[data-testid=tab-general]');
  await page.fill('#f-name', opts.name);
  if (opts.shots) await shot('03-wizard-general');
  await page.click('button:has-text("Next")');
  await page.waitForSelector('[data-testid=tab-configuration]');
  await page.selectOption('#f-auth-method', 'access_key');
  await page.fill('#f-auth-accessKeyId', opts.key.id);
  await page.fill('#f-auth-secretAccessKey', opts.key.secret);
  // The Access Key ID is an identifier: shown as typed; only the secret is masked (issue 15).
  expect(await page.locator('#f-auth-accessKeyId').getAttribute('type')).toBe('text');
  expect(await page.locator('#f-auth-secretAccessKey').getAttribute('type')).toBe('password');
  // Regions: ticked in groups by partition ("All regions" is the other choice).
  await page
    .getByRole('group', { name: 'AWS commercial' })
    .getByRole('checkbox', { name: 'us-east-1', exact: true })
    .check();
  expect(await page.inputValue('#f-intervalMinutes')).toBe('5');
  // The SSL warning appears with the checkbox and goes with it.
  await page.check('#f-disableSslVerification');
  await page.waitForSelector('[data-testid=ssl-warning]');
  if (opts.shots) await shot('04-wizard-configuration-ssl-warning');
  await page.uncheck('#f-disableSslVerification');
  expect(await page.locator('[data-testid=ssl-warning]').count()).toBe(0);
  await page.click('summary:has-text("Advanced")');
  await page.fill('#f-endpoints-sts', stack.emulatorUrl);
  if (opts.badEndpointFirst) {
    // The server's allow-list flags the host on the field itself, before Confirm (issue 15).
    await page.fill('#f-endpoints-inspector2', 'https://inspector2.attacker.example');
    await page.click('button:has-text("Next")');
    const fieldError = page.locator('.field-invalid:has(#f-endpoints-inspector2) .field-error');
    await fieldError.waitFor();
    expect(await fieldError.innerText()).toContain('attacker.example');
    expect(await page.locator('.tab.active .tab-err').innerText()).toBe('1');
    expect(await page.locator('[data-testid=tab-configuration]').count()).toBe(1);
    await shot('05a-wizard-field-error');
  }
  await page.fill('#f-endpoints-inspector2', stack.emulatorUrl);
  await page.click('button:has-text("Next")');
  await page.waitForSelector('[data-testid=tab-confirm]');
  const summary = await page.locator('[data-testid=tab-confirm]').innerText();
  expect(summary).toContain(opts.name);
  expect(summary).not.toContain(opts.key.secret);
  expect(summary).not.toContain(opts.key.id);
  if (opts.shots) {
    await shot('05-wizard-confirm');
    // The wizard tests the unsaved configuration too.
    await testUnsaved();
  }
  const { id } = await submitNew();
  const prompt = page.locator('[data-testid=profile-prompt]');
  await prompt.waitFor();
  expect(await prompt.innerText()).toContain('Add this connector to the Data Analyzer profile Default?');
  if (opts.shots) await shot('06-profile-prompt');
  if (opts.addToDefault === 'cancel') {
    await prompt.locator('button:has-text("Cancel")').click();
  } else {
    const put = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && r.url().includes('/profiles/default/'),
    );
    await prompt.locator('button:has-text("OK")').click();
    if (opts.addToDefault === 'ok') {
      expect((await put).status()).toBeLessThan(300);
    } else {
      expect((await put).status()).toBe(403);
      expectedHttpErrors.push(/^PUT \/api\/v1\/profiles\/default\/connectors\/[^/]+ 403$/);
      const forbidden = page.locator('[data-testid=profile-forbidden]');
      await forbidden.waitFor();
      expect(await forbidden.innerText()).toContain('Ask your administrator');
      await shot('19-profile-forbidden');
      await forbidden.locator('button:has-text("OK")').click();
    }
  }
  await page.waitForSelector(`tr[data-connector="${opts.name}"]`);
  return id;
}

async function openTest(name: string) {
  await page.click(`tr[data-connector="${name}"] button:has-text("Test")`);
  const dialog = page.locator('[data-testid=test-dialog]');
  await dialog.waitFor();
  return dialog;
}

describe('web UI in Chromium', () => {
  screenshotOnFailure(() => page);
  beforeAll(async () => {
    b = await startBrowserStack({
      adminPassword: ADMIN_PASSWORD,
      prefix: 'ic-e2e-',
      viewport: { width: 1280, height: 800 },
    });
    ({ dir: tmp, stack, page } = b);
  });

  afterAll(async () => {
    await b?.close();
  });

  it('logs in', async () => {
    await page.goto(stack.url);
    await page.waitForSelector('form[aria-label="Log in"]');
    await shot('01-login');
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'wrong-password');
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('text=Wrong user name or password.');
    expectedHttpErrors.push(/^POST \/api\/v1\/auth\/login 401$/);
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('text=No connectors yet');
    // The empty list names no connector type: the product has as many as the registry lists.
    await page.waitForSelector('text=Create a connector to start collecting findings');
    await shot('02-connectors-empty');
  });

  let readerId = '';
  it('creates a connector through the wizard, adds it to Default, and its Test succeeds', async () => {
    readerId = await createConnector({
      name: 'root-aws-inspector',
      key: READER,
      addToDefault: 'ok',
      shots: true,
    });
    const dialog = await openTest('root-aws-inspector');
    await dialog.locator('[data-testid=test-success]').waitFor();
    expect(await dialog.innerText()).toContain('Success !');
    // It stays open until closed with X (Escape does not close it).
    await page.keyboard.press('Escape');
    await page.click('.modal-header h2');
    expect(await dialog.isVisible()).toBe(true);
    await shot('07-test-success');
    await dialog.locator('button[aria-label=Close]').click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("shows a 403 failure with Show more for the source user's keys", async () => {
    await createConnector({
      name: 'root-no-permission',
      key: SOURCE,
      addToDefault: 'cancel',
      badEndpointFirst: true,
    });
    const dialog = await openTest('root-no-permission');
    await dialog.locator('[data-testid=test-failure]').waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('403');
    expect(text).toContain('Forbidden');
    expect(await dialog.locator('[data-testid=test-more]').count()).toBe(0);
    await dialog.locator('button:has-text("Show more")').click();
    const more = dialog.locator('[data-testid=test-more]');
    await more.waitFor();
    expect(await more.innerText()).toMatch(/Explanation[\s\S]*Recommendation/i);
    // The spec's table of common HTTP codes is there.
    for (const code of ['400', '401', '403', '404', '429']) expect(text).toContain(code);
    await shot('08-test-failure-403');
    await dialog.locator('button[aria-label=Close]').click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('says clearly that another test is running (409)', async () => {
    // Hold the one Test slot with a test started through the API while STS answers slowly...
    await stack.setFaults({ latencyMs: 4000, operations: ['GetCallerIdentity'] });
    const before = await stack.delayedRequests();
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const held = fetch(`${stack.url}/api/v1/connectors/${readerId}/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await until('the API test to reach the emulator', async () => (await stack.delayedRequests()) > before);
    // ...then the UI's Test gets 409 and says so.
    expectedHttpErrors.push(/^POST \/api\/v1\/connectors\/[^/]+\/test 409$/);
    const dialog = await openTest('root-aws-inspector');
    await dialog.locator('[data-testid=test-busy]').waitFor();
    expect(await dialog.innerText()).toContain('One test runs at a time per connector');
    await shot('08a-test-409');
    expect((await held).status).toBe(200);
    await stack.setFaults(null);
    await dialog.locator('button[aria-label=Close]').click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows the connectors overview with status', async () => {
    await until('the first run of root-aws-inspector to finish', async () => {
      await page.reload();
      const state = await page
        .locator('tr[data-connector="root-aws-inspector"] [data-state]')
        .getAttribute('data-state');
      return state === 'ok';
    });
    const row = page.locator('tr[data-connector="root-aws-inspector"]');
    expect(await row.innerText()).toContain('Vulnerability Scanner');
    expect(await row.innerText()).toContain('AWS Inspector');
    expect(await row.innerText()).toContain('Data Processor');
    // The status line and the run history word the counts: received, new, already stored.
    const lastRun = await row.locator('[data-testid=last-run]').innerText();
    expect(lastRun).toMatch(/^last run: received (\d+), new \1, already stored 0$/);
    await shot('09-connectors-overview');
    await row.locator('button:has-text("Runs")').click();
    const runs = page.locator('[data-testid=runs-dialog]');
    await runs.locator('[data-testid=run-summary]').first().waitFor();
    expect(await runs.locator('[data-testid=run-summary]').first().innerText()).toBe(
      lastRun.replace(/^last run: /, ''),
    );
    await shot('09a-run-history');
    await runs.locator('button[aria-label=Close]').click();
    await runs.waitFor({ state: 'detached' });
  });

  it("finds the connector's records in Threat Hunting through View Events", async () => {
    await page.click('tr[data-connector="root-aws-inspector"] a:has-text("View Events")');
    await page.waitForSelector('[aria-label=Query]');
    expect(decodeURIComponent(page.url())).toContain(`msg_origin.processor.id:${readerId}`);
    expect(await page.inputValue('[aria-label=Query]')).toContain(readerId);
    await until(
      'records in Threat Hunting',
      async () => (await search(await page.inputValue('[aria-label=Query]'))) > 0,
    );
    expect(await page.locator('table[aria-label=Results] tbody tr').count()).toBeGreaterThan(0);
    await page.waitForSelector('figure.histogram rect.bar');
    await shot('10-threat-hunting');
    await page.locator('table[aria-label=Results] tbody tr').first().click();
    const json = await page.locator('[data-testid=record-json]').innerText();
    expect(JSON.parse(json)).toMatchObject({ msg_class: 'aws_inspector_finding' });
    await shot('11-record-json');
    await page.click('button[aria-label="Close record"]');

    // Sorting, paging and columns live in the URL, so a reload keeps them.
    const total = await searchTotal();
    const sorted = page.waitForResponse((r) => new URL(r.url()).searchParams.get('sort') === 'severity:desc');
    await page.click('th button:has-text("severity")');
    await sorted;
    const severityCells = page.locator('table[aria-label=Results] tbody tr td:nth-child(3)');
    await expect
      .poll(async () => {
        const v = (await severityCells.allInnerTexts()).map(Number);
        return v.length > 0 && v.every((x, i) => i === 0 || v[i - 1]! >= x);
      })
      .toBe(true);
    expect(total).toBeGreaterThan(50); // 300 emulated findings: more than one page
    await page.click('button:has-text("Next ›")');
    await page.waitForSelector(`text=51–${Math.min(100, total)} of ${total}`);
    await page.click('button:has-text("Columns")');
    await page.check('[aria-label="Choose columns"] label:has-text("aws_inspector.severity") input');
    await page.waitForSelector('table[aria-label=Results] th:has-text("aws_inspector.severity")');
    await page.click('button:has-text("Columns")');
    await page.reload();
    await page.waitForSelector('[data-total]');
    expect(await page.inputValue('[aria-label=Query]')).toBe(`msg_origin.processor.id:${readerId}`);
    expect(page.url()).toContain('sort=severity%3Adesc');
    await page.waitForSelector('table[aria-label=Results] th:has-text("aws_inspector.severity")');
    await page.waitForSelector(`text=51–${Math.min(100, total)} of ${total}`);

    // Event time with a short range may hold nothing: the empty state says what to do.
    await page.selectOption('[aria-label="Time field"]', 'timestamp');
    await page.selectOption('[aria-label="Time range"]', '15m');
    await page.waitForSelector('text=switch to ingest time (write_time)');
    await shot('11a-threat-hunting-empty');
    await page.selectOption('[aria-label="Time field"]', 'write_time');
    await page.selectOption('[aria-label="Time range"]', '24h');
    await page.waitForSelector('table[aria-label=Results] tbody tr');

    // A bad query is reported inline, never a blank page.
    await page.fill('[aria-label=Query]', 'severity:(HIGH');
    await page.press('[aria-label=Query]', 'Enter');
    await page.waitForSelector('[data-testid=query-error]');
    expectedHttpErrors.push(/^GET \/api\/v1\/search(\/histogram|\/fields)? 400$/);
    await shot('12-query-error');
  });

  let lowBefore = 0;
  let allBefore = 0;
  it('adds a log filter that excludes LOW findings and attaches it to the connector', async () => {
    await page.click('a.nav-link:has-text("Log Filters")');
    await page.waitForSelector('text=No log filters');
    await page.click('button:has-text("+ Create")');
    const editor = page.locator('[data-testid=filter-editor]');
    await editor.waitFor();
    await page.fill('#lf-name', 'drop-low-severity');
    await page.fill('[aria-label="Condition 1 field"]', 'aws_inspector.severity');
    await page.selectOption('[aria-label="Condition 1 operator"]', 'equals');
    await page.fill('[aria-label="Condition 1 values"]', 'LOW');
    await editor.locator('button:has-text("Preview")').click();
    const preview = page.locator('[data-testid=filter-preview]');
    await expect.poll(() => preview.innerText()).toMatch(/would have discarded \d+ of the last \d+ records/);
    const m = /discarded (\d+) of the last (\d+)/.exec(await preview.innerText());
    expect(Number(m?.[1])).toBeGreaterThan(0);
    await shot('13-log-filter-editor');
    await editor.locator('button:has-text("Save")').click();
    await page.waitForSelector('tr[data-filter="drop-low-severity"]');
    await shot('14-log-filters');

    // Attach it in the connector's Edit wizard (General tab): name and tenant are read-only there.
    await page.click('a.nav-link:has-text("Connectors")');
    await page.click('tr[data-connector="root-aws-inspector"] a:has-text("Edit")');
    await page.waitForSelector('[data-testid=tab-general]');
    expect(await page.locator('#f-name').getAttribute('readonly')).not.toBeNull();
    await page.check('label:has-text("drop-low-severity") input');
    await page.click('button:has-text("Next")');
    // Secrets are write-only: blank keeps the stored value.
    expect(await page.inputValue('#f-auth-secretAccessKey')).toBe('');
    await page.waitForSelector('text=Leave blank to keep the current value.');
    await shot('15-wizard-edit-configuration');
    await page.click('button:has-text("Next")');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.click('button:has-text("Submit")');
    expect((await saved).status()).toBe(200);
    await page.waitForSelector('tr[data-connector="root-aws-inspector"]');

    await page.click('tr[data-connector="root-aws-inspector"] a:has-text("View Events")');
    allBefore = await search(`msg_origin.processor.id:${readerId}`);
    lowBefore = await search(`msg_origin.processor.id:${readerId} AND aws_inspector.severity:LOW`);
    expect(lowBefore).toBeGreaterThan(0);
  });

  it('stores no new LOW records on the next run', async () => {
    // New versions arrive from the emulator: some LOW (to be discarded), some HIGH (to be stored).
    expect(await stack.mutateFindings(20, 'LOW')).toBeGreaterThan(0);
    expect(await stack.mutateFindings(20, 'HIGH')).toBeGreaterThan(0);
    const outcome = await stack.runConnector(readerId);
    expect(outcome.status).toBe('ok');
    expect(outcome.discardedByFilter['drop-low-severity'] ?? 0).toBeGreaterThan(0);
    // The overview shows the discarded count.
    await page.click('a.nav-link:has-text("Connectors")');
    const counts = page.locator('tr[data-connector="root-aws-inspector"] [data-testid=counts]');
    await expect.poll(async () => Number(await counts.getAttribute('data-discarded'))).toBeGreaterThan(0);
    await shot('16-connectors-after-filter');
    // The new HIGH versions are searchable; no new LOW version was stored.
    await page.click('a.nav-link:has-text("Threat Hunting")');
    expect(await search(`msg_origin.processor.id:${readerId}`)).toBeGreaterThan(allBefore);
    expect(await search(`msg_origin.processor.id:${readerId} AND aws_inspector.severity:LOW`)).toBe(
      lowBefore,
    );
    await shot('17-threat-hunting-after-filter');
  });

  it('creates a connector of another type (NDJSON, test-only) through the wizard; its records are searchable', async () => {
    const dir = path.join(tmp, 'ndjson');
    fs.mkdirSync(dir);
    writeFindings(dir, '0001.ndjson', ndjsonFindings(12, Date.now(), 'ndj'));
    fs.writeFileSync(path.join(dir, '.token'), 'ndjson-token-123\n');
    await page.click('a.nav-link:has-text("Connectors")');
    await page.click('a:has-text("+ Create")');
    await page.waitForSelector('[data-testid=tab-general]');
    // The type selector lists every registered type; choosing one renders its schema.
    expect(await page.locator('#f-type option').allInnerTexts()).toEqual(['AWS Inspector', 'NDJSON files']);
    await page.selectOption('#f-type', 'ndjson');
    expect(await page.inputValue('#f-category')).toBe('Test Source');
    await page.fill('#f-name', 'root-ndjson');
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-configuration]');
    expect(await page.locator('#f-regions').count()).toBe(0);
    // The auth method choice comes from the schema's union; the token is a secret field.
    expect(await page.locator('#f-auth-method option').allInnerTexts()).toEqual([
      'No authentication',
      'Token file',
    ]);
    await page.selectOption('#f-auth-method', 'token');
    expect(await page.locator('#f-auth-token').getAttribute('type')).toBe('password');
    await page.fill('#f-auth-token', 'ndjson-token-123');
    await page.fill('#f-directory', dir);
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-confirm]');
    const summary = await page.locator('[data-testid=tab-confirm]').innerText();
    expect(summary).toContain('NDJSON files');
    expect(summary).not.toContain('ndjson-token-123');
    expect(await testUnsaved('17a-wizard-ndjson-test')).toContain('is readable (1 NDJSON files)');
    const c = await submitNew();
    expect(c).toMatchObject({ typeId: 'ndjson', type: 'NDJSON files' });
    const prompt = page.locator('[data-testid=profile-prompt]');
    await prompt.waitFor();
    await prompt.locator('button:has-text("OK")').click();
    await page.waitForSelector('tr[data-connector="root-ndjson"]');
    expect(await page.locator('tr[data-connector="root-ndjson"]').innerText()).toContain('NDJSON files');
    // Joining Default starts the first pull; its records are searchable like any other.
    await page.click('tr[data-connector="root-ndjson"] a:has-text("View Events")');
    await page.waitForSelector('[aria-label=Query]');
    await until(
      'NDJSON records in Threat Hunting',
      async () => (await search(`msg_origin.processor.id:${c.id}`)) === 12,
    );
    expect(await search(`msg_origin.processor.id:${c.id} AND ndjson.id:"ndj-3"`)).toBe(1);
    await shot('17b-threat-hunting-ndjson');
  });

  it('deletes a connector after confirmation', async () => {
    await page.click('a.nav-link:has-text("Connectors")');
    await page.click('tr[data-connector="root-no-permission"] button:has-text("Delete")');
    const confirm = page.getByRole('dialog', { name: 'Delete connector', exact: true });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain('root-no-permission');
    await confirm.locator('button:has-text("Delete")').click();
    await page.locator('tr[data-connector="root-no-permission"]').waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-connector="root-aws-inspector"]').count()).toBe(1);
  });

  it('manages tenants and users', async () => {
    await page.click('a.nav-link:has-text("Tenants & Users")');
    await page.waitForSelector('table[aria-label=Tenants]');
    await page.fill('#t-name', 'acme');
    await page.click('button:has-text("Create tenant")');
    await page.waitForSelector('table[aria-label=Tenants] td:has-text("acme")');
    await page.fill('#u-name', 'acme-analyst');
    await page.fill('#u-password', 'acme-Analyst-Passw0rd!');
    await page.selectOption('#u-role', 'analyst');
    await page.selectOption('#u-tenant', 'acme');
    await page.click('button:has-text("Create user")');
    await page.waitForSelector('table[aria-label=Users] td:has-text("acme-analyst")');
    await shot('18-tenants-users');
  });

  it('tells a tenant admin to ask an administrator to add the connector to a profile', async () => {
    await page.fill('#u-name', 'acme-admin');
    await page.fill('#u-password', 'acme-Admin-Passw0rd!');
    await page.selectOption('#u-role', 'tenant_admin');
    await page.selectOption('#u-tenant', 'acme');
    await page.click('button:has-text("Create user")');
    await page.waitForSelector('table[aria-label=Users] td:has-text("acme-admin")');
    await page.click('button:has-text("Log out")');
    await page.waitForSelector('form[aria-label="Log in"]');
    await page.fill('#login-user', 'acme-admin');
    await page.fill('#login-password', 'acme-Admin-Passw0rd!');
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('text=No connectors yet');
    // A tenant admin sees neither other tenants' connectors nor the Tenants & Users page; the
    // coverage of the tenant's connectors, yes.
    expect(await page.locator('a.nav-link').allInnerTexts()).toEqual([
      'Connectors',
      'Coverage',
      'Log Filters',
      'Threat Hunting',
    ]);
    await createConnector({ name: 'acme-aws-inspector', key: READER, addToDefault: 'forbidden' });
    expect(await page.locator('tr[data-connector="acme-aws-inspector"]').innerText()).toContain('acme');
  });

  it("lets an analyst search only their tenant's records", async () => {
    await page.click('button:has-text("Log out")');
    await page.waitForSelector('form[aria-label="Log in"]');
    await page.fill('#login-user', 'acme-analyst');
    await page.fill('#login-password', 'acme-Analyst-Passw0rd!');
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('[aria-label=Query]');
    expect(await page.locator('a.nav-link').allInnerTexts()).toEqual(['Threat Hunting']);
    await page.selectOption('[aria-label="Time range"]', 'all');
    // The Root Tenant's records exist, but not for an analyst of acme.
    expect(await search(`msg_origin.processor.id:${readerId}`)).toBe(0);
    expect(await search('')).toBe(0);
    await shot('20-analyst-threat-hunting');
  });

  it('saw no browser errors and only the HTTP errors it provoked', () => {
    expect(b.problems).toEqual([]);
    const unexpected = b.httpErrors.filter((e) => !expectedHttpErrors.some((re) => re.test(e)));
    expect(unexpected).toEqual([]);
  });
});
