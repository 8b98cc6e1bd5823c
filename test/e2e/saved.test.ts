/**
 * Saved searches and search history on the Threat Hunting page, in Chromium at 1440x900 against
 * the real server (issue 15): save the search shown with the keyboard, open it again (query,
 * range, columns, sort and the URL come back), edit and delete it; the history lists the queries
 * run, re-runs one and is cleared; axe-core finds no serious or critical violation in the menus
 * and dialogs. A failing test leaves test-artifacts/screenshots/saved-FAILED-*.png; any browser
 * console error or page error fails the run.
 */
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserStack, type BrowserStack, screenshotOnFailure } from './browser.js';
import { testRecord, withStates } from '../support/records.js';

const ADMIN = { username: 'admin', password: 'e2e-Saved-Passw0rd!' };
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
/** 40 records: every 4th HIGH (10), the others LOW. */
const N = 40;
const HIGH = 'aws_inspector.severity:HIGH';

let b: BrowserStack;

/** axe-core's serious and critical violations on the page as it is now. */
async function axe(where: string): Promise<string[]> {
  const page = b.page;
  // Over the DevTools protocol: the app's CSP refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const v = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run(
          d: Document,
          o: object,
        ): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
      };
    };
    return (await w.axe.run(document, { resultTypes: ['violations'] })).violations.map((x) => ({
      id: x.id,
      impact: x.impact,
      targets: JSON.stringify(x.nodes.map((n) => n.target)),
    }));
  });
  return v
    .filter((x) => x.impact === 'serious' || x.impact === 'critical')
    .map((x) => `${where}: ${x.id} (${x.impact}) at ${x.targets}`);
}

async function total(): Promise<number> {
  const el = b.page.locator('[data-total]');
  await el.waitFor();
  return Number(await el.getAttribute('data-total'));
}

/** Open Threat Hunting at `query` (hash query string) and wait for its search's answer. */
async function openSearch(query: string): Promise<number> {
  await b.page.goto('about:blank');
  const answered = b.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search');
  await b.page.goto(`${b.stack.url}/#/search?${query}`);
  const body = (await (await answered).json()) as { total: number };
  await expect.poll(total).toBe(body.total);
  return body.total;
}

const hashParams = () => new URLSearchParams(new URL(b.page.url()).hash.split('?')[1] ?? '');
const savedButton = () => b.page.getByRole('button', { name: 'Saved', exact: true });
const historyButton = () => b.page.getByRole('button', { name: 'History', exact: true });
const savedMenu = '[role=dialog][aria-label="Saved searches"]';
const historyMenu = '[role=dialog][aria-label="Search history"]';
const headers = () => b.page.locator('table.table-results thead th').allTextContents();

describe('saved searches and search history in Chromium', () => {
  screenshotOnFailure(() => b?.page);
  beforeAll(async () => {
    b = await startBrowserStack({ adminPassword: ADMIN.password, prefix: 'ic-e2e-saved-' });
    b.page.setDefaultTimeout(15_000);
    const store = b.stack.server.store;
    const connectorId = store.connectors.create({
      name: 'saved-c',
      region: 'us-east-1',
      auth: { method: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'saved-secret-1' },
    }).id;
    const records = Array.from({ length: N }, (_, i) =>
      testRecord(
        { id: connectorId, name: 'saved-c' },
        {
          _id: `saved-${i}`,
          timestamp: T0 + i * 60_000,
          write_time: T0 + i * 60_000,
          severity: i % 4 === 0 ? 70 : 30,
          event_name: `CVE-2026-${2000 + i} in zlib`,
          aws_inspector: { severity: i % 4 === 0 ? 'HIGH' : 'LOW', status: 'ACTIVE' },
        },
      ),
    );
    store.commitPage(withStates({ connectorId, records }));
    await b.page.goto(b.stack.url);
    await b.page.fill('#login-user', ADMIN.username);
    await b.page.fill('#login-password', ADMIN.password);
    await b.page.click('button:has-text("Log in")');
    await b.page.waitForSelector('nav');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && b?.page) {
      await b
        .shot(`saved-FAILED-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`)
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    const problems = b?.problems ?? [];
    await b?.close();
    expect(problems).toEqual([]);
  });

  it('saves the search shown with the keyboard, and opening it restores query, range, columns, sort and the URL', async () => {
    const shown = `range=all&q=${encodeURIComponent(HIGH)}&cols=timestamp,severity,event_name&sort=severity:asc`;
    expect(await openSearch(shown)).toBe(10);
    // Keyboard only: the menu, the dialog, the form.
    await savedButton().focus();
    await b.page.keyboard.press('Enter');
    await b.page.waitForSelector(`${savedMenu} >> text=None yet`);
    expect(await axe('saved-menu-empty')).toEqual([]);
    await b.page.keyboard.press('Tab');
    expect(await b.page.evaluate(() => document.activeElement?.textContent)).toBe('Save current search…');
    await b.page.keyboard.press('Enter');
    const dialog = b.page.getByRole('dialog', { name: 'Save search' });
    await dialog.waitFor();
    // The dialog took focus: its first control, the name.
    expect(await b.page.evaluate(() => document.activeElement?.id)).toBe('saved-name');
    expect(await dialog.innerText()).toContain(HIGH);
    expect(await axe('save-dialog')).toEqual([]);
    await b.page.keyboard.type('High ones');
    await b.page.keyboard.press('Tab');
    expect(await b.page.evaluate(() => document.activeElement?.id)).toBe('saved-visibility');
    await b.page.selectOption('#saved-visibility', 'tenant');
    await b.page.focus('#saved-name');
    const created = b.page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/search/saved',
    );
    await b.page.keyboard.press('Enter');
    expect((await created).status()).toBe(201);
    await dialog.waitFor({ state: 'detached' });
    await b.page.waitForSelector(`${savedMenu} button.saved-open:has-text("High ones")`);
    expect(await b.page.locator(`${savedMenu} .saved-open`).innerText()).toContain('All time · shared');
    expect(await axe('saved-menu')).toEqual([]);
    await b.shot('saved-menu');
    await b.page.keyboard.press('Escape');
    await b.page.waitForSelector(savedMenu, { state: 'detached' });

    // Somewhere else, then back through the menu.
    expect(await openSearch('range=24h&q=zlib')).toBe(0);
    await savedButton().click();
    const answered = b.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search');
    await b.page.click(`${savedMenu} button.saved-open:has-text("High ones")`);
    await answered;
    await expect.poll(total).toBe(10);
    const h = hashParams();
    expect([h.get('q'), h.get('range'), h.get('cols'), h.get('sort')]).toEqual([
      HIGH,
      'all',
      'timestamp,severity,event_name',
      'severity:asc',
    ]);
    expect(await b.page.inputValue('[aria-label=Query]')).toBe(HIGH);
    expect((await headers()).map((t) => t.replace(/[▲▼↕\s]+$/u, ''))).toEqual([
      'timestamp',
      'severity',
      'event_name',
    ]);
    await expect.poll(() => b.page.getAttribute('th:has-text("severity")', 'aria-sort')).toBe('ascending');
  });

  it('edits (rename) and deletes its own saved search', async () => {
    await openSearch(`range=all&q=${encodeURIComponent(HIGH)}`);
    await savedButton().click();
    await b.page.getByRole('button', { name: 'Edit High ones' }).click();
    const dialog = b.page.getByRole('dialog', { name: 'Edit saved search' });
    await dialog.waitFor();
    expect(await axe('edit-dialog')).toEqual([]);
    await b.page.fill('#saved-name', 'High, renamed');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await b.page.waitForSelector(`${savedMenu} button.saved-open:has-text("High, renamed")`);
    const list = (await (await b.api(ADMIN, 'GET', '/search/saved')).json()) as {
      savedSearches: { name: string; query: string; visibility: string }[];
    };
    expect(list.savedSearches).toEqual([
      expect.objectContaining({ name: 'High, renamed', query: HIGH, visibility: 'tenant' }),
    ]);
    await b.page.getByRole('button', { name: 'Delete High, renamed' }).click();
    const confirm = b.page.getByRole('dialog', { name: 'Delete saved search' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.waitFor({ state: 'detached' });
    await b.page.waitForSelector(`${savedMenu} >> text=None yet`);
    expect(
      ((await (await b.api(ADMIN, 'GET', '/search/saved')).json()) as { savedSearches: unknown[] })
        .savedSearches,
    ).toEqual([]);
  });

  it('the history lists the queries run (newest first, on the server), re-runs one, and is cleared', async () => {
    expect((await b.api(ADMIN, 'DELETE', '/search/history')).status).toBe(204);
    await openSearch('range=all');
    for (const q of [HIGH, 'zlib', 'aws_inspector.severity:LOW']) {
      const answered = b.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search');
      const recorded = b.page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/search/history',
      );
      await b.page.fill('[aria-label=Query]', q);
      await b.page.keyboard.press('Enter');
      await answered;
      expect((await recorded).status()).toBe(201);
    }
    const server = (await (await b.api(ADMIN, 'GET', '/search/history')).json()) as {
      history: { query: string }[];
    };
    expect(server.history.map((e) => e.query)).toEqual(['aws_inspector.severity:LOW', 'zlib', HIGH]);
    await historyButton().focus();
    await b.page.keyboard.press('Enter');
    const entries = b.page.locator(`${historyMenu} button.saved-open`);
    await entries.first().waitFor();
    expect((await entries.allInnerTexts()).map((t) => t.split('\n')[0])).toEqual([
      'aws_inspector.severity:LOW',
      'zlib',
      HIGH,
    ]);
    expect(await axe('history-menu')).toEqual([]);
    await b.shot('saved-history-menu');
    // Re-run an entry with the keyboard.
    await entries.nth(2).focus();
    const answered = b.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/search');
    const again = b.page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/search/history',
    );
    await b.page.keyboard.press('Enter');
    await answered;
    expect((await again).status()).toBe(201);
    await b.page.waitForSelector(historyMenu, { state: 'detached' });
    await expect.poll(total).toBe(10);
    expect(hashParams().get('q')).toBe(HIGH);
    expect(await b.page.inputValue('[aria-label=Query]')).toBe(HIGH);
    await historyButton().click();
    await b.page.click(`${historyMenu} button:has-text("Clear history")`);
    await b.page.waitForSelector(`${historyMenu} >> text=No queries yet`);
    expect(
      ((await (await b.api(ADMIN, 'GET', '/search/history')).json()) as { history: unknown[] }).history,
    ).toEqual([]);
  });
});
