/**
 * Accessibility of the web UI in a real browser (issue 15): axe-core runs on every page and
 * dialog and finds no serious or critical violation, and the keyboard works: a modal takes focus,
 * keeps Tab inside, closes with Esc and gives focus back to its opener; popovers close with Esc
 * and a click outside; table rows open with Enter. Same stack as ui.test.ts (Chromium, real
 * server, real emulator). Screenshots of failures go to test-artifacts/screenshots/a11y-*.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startStack, type Stack } from './stack.js';
import { buildWeb, launchChromium, screenshotOnFailure } from './browser.js';
import { ndjsonFindings, writeFindings } from '../support/connectors/ndjson/index.js';

const SHOTS = path.resolve('test-artifacts/screenshots');
const ADMIN_PASSWORD = 'e2e-Admin-Passw0rd!';
const KEY = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

let tmp: string;
let stack: Stack;
let browser: Browser;
let page: Page;
let connectorId = '';
/** Every violation seen, by rule id: what the suite reports when a page fails. */
const found: string[] = [];

interface AxeResult {
  id: string;
  impact: string | null;
  nodes: { target: unknown[]; any: { data: unknown }[] }[];
}

/** axe-core on the page as it is now: the serious and critical violations, one line each. */
async function axe(where: string): Promise<string[]> {
  // Evaluated over the DevTools protocol: the app's CSP (script-src 'self') refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeResult[] }> };
    };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    // A node's target and what axe measured (for color-contrast: the colours and the ratio).
    const node = (n: AxeResult['nodes'][number]) => JSON.stringify([n.target, n.any[0]?.data ?? null]);
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(node) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id} (${v.impact}) at ${v.nodes.join(', ')}`);
}

async function expectClean(where: string): Promise<void> {
  const v = await axe(where);
  found.push(...v);
  // Soft: the walk goes on, so one run lists every page's violations.
  expect.soft(v, v.join('\n')).toEqual([]);
}

async function login(): Promise<void> {
  await page.goto(stack.url);
  await page.waitForSelector('form[aria-label="Log in"]');
  await page.fill('#login-user', 'admin');
  await page.fill('#login-password', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav[aria-label=Main]');
}

async function go(hash: string, ready: string): Promise<void> {
  await page.evaluate((h) => (window.location.hash = h), hash);
  await page.waitForSelector(ready);
}

/** Whether the element that has focus is inside `sel`. */
async function focusIn(sel: string): Promise<boolean> {
  return page.evaluate((s) => !!document.activeElement?.closest(s), sel);
}

describe('web UI accessibility in Chromium', () => {
  screenshotOnFailure(() => page);
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-a11y-'));
    fs.mkdirSync(SHOTS, { recursive: true });
    const webRoot = path.join(tmp, 'web');
    await buildWeb(webRoot);
    stack = await startStack({ dataDir: path.join(tmp, 'data'), webRoot, adminPassword: ADMIN_PASSWORD });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(15_000);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      await page.screenshot({ path: path.join(SHOTS, `a11y-${name}.png`) }).catch(() => undefined);
    }
  });

  afterAll(async () => {
    if (found.length) console.log(`axe violations seen:\n${found.join('\n')}`);
    await browser?.close();
    await stack?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('log-in page', async () => {
    await page.goto(stack.url);
    await page.waitForSelector('form[aria-label="Log in"]');
    await expectClean('log-in');
  });

  it('logs in', login);

  it('connectors (empty), the wizard tabs and the profile prompt', async () => {
    await go('#/connectors', 'main');
    await page.waitForSelector('a:has-text("+ Create")');
    await expectClean('connectors-empty');
    await page.click('a:has-text("+ Create")');
    await page.waitForSelector('[data-testid=tab-general]');
    await expectClean('wizard-general');
    await page.fill('#f-name', 'a11y-inspector');
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-configuration]');
    await page.selectOption('#f-auth-method', 'access_key');
    await page.fill('#f-auth-accessKeyId', KEY.id);
    await page.fill('#f-auth-secretAccessKey', KEY.secret);
    // The regions field by keyboard: "All regions" shows the partition choice; regions are ticked with Space.
    const allRegions = page.getByRole('checkbox', { name: /^All regions/ });
    await allRegions.focus();
    await page.keyboard.press('Space');
    await page.getByRole('combobox', { name: 'Partition' }).waitFor();
    await expectClean('wizard-regions-all');
    await page.keyboard.press('Space');
    const useEast1 = page.getByRole('checkbox', { name: 'us-east-1', exact: true });
    await useEast1.focus();
    await page.keyboard.press('Space');
    expect(await useEast1.isChecked()).toBe(true);
    await page.check('#f-disableSslVerification');
    await page.waitForSelector('[data-testid=ssl-warning]');
    await page.click('summary:has-text("Advanced")');
    await page.fill('#f-endpoints-sts', stack.emulatorUrl);
    await page.fill('#f-endpoints-inspector2', stack.emulatorUrl);
    await expectClean('wizard-configuration');
    await page.uncheck('#f-disableSslVerification');
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-confirm]');
    await expectClean('wizard-confirm');
    const created = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/connectors',
    );
    await page.click('button:has-text("Submit")');
    connectorId = ((await (await created).json()) as { id: string }).id;
    const prompt = page.locator('[data-testid=profile-prompt]');
    await prompt.waitFor();
    await expectClean('profile-prompt');
    await prompt.locator('button:has-text("OK")').click();
    await page.waitForSelector('tr[data-connector="a11y-inspector"]');
    await stack.runConnector(connectorId);
  });

  it('connectors overview, edit wizard, Test and Runs dialogs', async () => {
    await go('#/connectors', 'tr[data-connector="a11y-inspector"]');
    await expectClean('connectors');
    await page.click('tr[data-connector="a11y-inspector"] button:has-text("Test")');
    const test = page.locator('[data-testid=test-dialog]');
    await test.locator('[data-testid=test-success]').waitFor();
    await expectClean('test-dialog');
    await test.locator('button[aria-label=Close]').click();
    await test.waitFor({ state: 'detached' });
    await page.click('tr[data-connector="a11y-inspector"] button:has-text("Runs")');
    const runs = page.locator('[data-testid=runs-dialog]');
    await runs.locator('tr[data-run]').first().waitFor();
    await expectClean('runs-dialog');
    await page.keyboard.press('Escape');
    await runs.waitFor({ state: 'detached' });
    await page.click('tr[data-connector="a11y-inspector"] button:has-text("Delete")');
    await page.waitForSelector('[role=dialog] button:has-text("Cancel")');
    await expectClean('delete-dialog');
    await page.click('[role=dialog] button:has-text("Cancel")');
    await page.waitForSelector('[role=dialog]', { state: 'detached' });
    await page.click('tr[data-connector="a11y-inspector"] a:has-text("Edit")');
    await page.waitForSelector('[data-testid=tab-general]');
    await expectClean('edit-wizard');
    // Two regions: the Test dialog shows a row per region (the emulator runs Inspector2 in
    // us-east-1 only, so eu-west-1's row fails).
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-configuration]');
    await page.getByRole('checkbox', { name: 'eu-west-1', exact: true }).check();
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-confirm]');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const regions = page.locator('[data-testid=test-dialog] [data-testid=test-regions]');
    await regions.waitFor();
    expect(await regions.locator('tbody tr').count()).toBe(2);
    expect(await regions.locator('tbody tr').first().innerText()).toContain('us-east-1');
    await expectClean('test-dialog-regions');
  });

  it('a connector with parts: the partial badge names each failed part with its error; the run history lists the parts', async () => {
    // The test-only NDJSON type reads each part from a subdirectory: "north" is missing.
    const dir = path.join(tmp, 'ndjson-parts');
    for (const part of ['east', 'west']) {
      fs.mkdirSync(path.join(dir, part), { recursive: true });
      writeFindings(path.join(dir, part), '0001.ndjson', ndjsonFindings(3, Date.now(), part));
    }
    const { store } = stack.server;
    const id = store.connectors.create(
      { name: 'a11y-parts', directory: dir, parts: 'east,north,west' },
      { type: 'ndjson' },
    ).id;
    store.profiles.addConnector('default', id);
    const out = await stack.runConnector(id);
    expect(out.parts?.map((p) => p.status)).toEqual(['ok', 'failed', 'ok']);
    await go('#/connectors', 'tr[data-connector="a11y-parts"]');
    const badge = page.locator('tr[data-connector="a11y-parts"] [data-state=partial]');
    expect((await badge.textContent())?.trim()).toBe('2/3 parts ok ▾');
    expect(await badge.getAttribute('title')).toMatch(/^north: ERR_NOT_FOUND: cannot read the directory/);
    await badge.click();
    const pop = page.locator('tr[data-connector="a11y-parts"] [data-testid=failed-parts]');
    await pop.waitFor();
    expect(await pop.locator('li').evaluateAll((l) => l.map((e) => e.getAttribute('data-part')))).toEqual([
      'north',
    ]);
    expect(await pop.textContent()).toContain('ERR_NOT_FOUND');
    await expectClean('connectors-partial-badge');
    await page.keyboard.press('Escape');
    await pop.waitFor({ state: 'detached' });
    await page.click('tr[data-connector="a11y-parts"] button:has-text("Runs")');
    const runs = page.locator('[data-testid=runs-dialog]');
    await runs.locator('tr[data-run]').first().waitFor();
    expect(await runs.locator('[data-testid=run-parts-count]').first().textContent()).toBe('2/3 parts ok');
    await runs.locator('[data-testid=run-parts] summary').first().click();
    const items = runs.locator('[data-testid=run-parts] li');
    expect(
      await items.evaluateAll((l) =>
        l.map((e) => [e.getAttribute('data-part'), e.getAttribute('data-status')]),
      ),
    ).toEqual([
      ['east', 'ok'],
      ['north', 'failed'],
      ['west', 'ok'],
    ]);
    await expectClean('runs-dialog-parts');
    await page.keyboard.press('Escape');
    await runs.waitFor({ state: 'detached' });
  });

  it('coverage: the chart, the notes and the table per account × region', async () => {
    await go('#/coverage', 'main select');
    await page.selectOption('main select', { label: 'a11y-inspector' });
    await page.waitForSelector('table[aria-label="Coverage per account and region"] tbody tr');
    await page.waitForSelector('svg[role=img]');
    await expectClean('coverage');
  });

  it('log filters: list and the filter dialog', async () => {
    await go('#/log-filters', 'main');
    await page.waitForSelector('button:has-text("+ Create"), a:has-text("+ Create")');
    await expectClean('log-filters');
    await page.click('button:has-text("+ Create"), a:has-text("+ Create")');
    await page.waitForSelector('[role=dialog]');
    await expectClean('log-filter-dialog');
    // The field's completion open, then the preview (no name yet) with its sample records.
    await page.locator('[aria-label="Condition 1 field"]').pressSequentially('aws_inspector.st');
    await page.waitForSelector('[role=dialog] [role=listbox] [role=option]');
    await expectClean('log-filter-field-completion');
    // Esc closes the list, not the dialog.
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=dialog] [role=listbox]', { state: 'hidden' });
    await page.fill('[aria-label="Condition 1 field"]', 'aws_inspector.status');
    await page.fill('[aria-label="Condition 1 values"]', 'ACTIVE');
    await page.click('[role=dialog] button:has-text("Preview")');
    await page.waitForSelector('[data-testid=preview-sample]');
    await expectClean('log-filter-preview');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=dialog]', { state: 'detached' });
  });

  it('tenants & users', async () => {
    await go('#/admin', 'form[aria-label="Create user"]');
    await expectClean('admin');
  });

  it('threat hunting, its popovers and the record panel', async () => {
    await go('#/search', '[aria-label=Query]');
    await page.waitForSelector('table tbody tr');
    await expectClean('threat-hunting');
    await page.click('button:has-text("Syntax ?")');
    await page.waitForSelector('[role=dialog][aria-label="Query syntax"]');
    await expectClean('query-syntax-popover');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=dialog][aria-label="Query syntax"]', { state: 'detached' });
    // Field-name completion open (the combobox and its listbox), then the histogram by keyboard.
    await page.fill('[aria-label=Query]', '');
    await page.locator('[aria-label=Query]').pressSequentially('aws_inspector.sev');
    await page.waitForSelector('[role=listbox] [role=option]');
    await page.keyboard.press('ArrowDown');
    await expectClean('query-completion');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=listbox]', { state: 'hidden' });
    await page.fill('[aria-label=Query]', '');
    await page.locator('[data-testid=histogram] .hist-area').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await expectClean('histogram-keyboard');
    await page.click('button:has-text("Columns")');
    await page.waitForSelector('[role=dialog][aria-label="Choose columns"]');
    await expectClean('columns-popover');
    // A click outside closes a popover.
    await page.mouse.click(5, 790);
    await page.waitForSelector('[role=dialog][aria-label="Choose columns"]', { state: 'detached' });
    // The Saved and History menus, and the Save dialog (Esc closes the dialog, then the menu).
    await page.getByRole('button', { name: 'Saved', exact: true }).click();
    await page.waitForSelector('[role=dialog][aria-label="Saved searches"] >> text=None yet');
    await expectClean('saved-searches-popover');
    await page.click('button:has-text("Save current search")');
    await page.getByRole('dialog', { name: 'Save search' }).waitFor();
    await expectClean('save-search-dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Save search' }).waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=dialog][aria-label="Saved searches"]', { state: 'detached' });
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.waitForSelector('[role=dialog][aria-label="Search history"] .popover-title');
    await expectClean('search-history-popover');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role=dialog][aria-label="Search history"]', { state: 'detached' });
    // A record row opens with the keyboard.
    await page.locator('table tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('button[aria-label="Close record"]');
    await expectClean('record-panel');
  });

  it('a modal traps Tab, closes with Esc and gives focus back to its opener', async () => {
    await go('#/connectors', 'tr[data-connector="a11y-inspector"]');
    const opener = page.locator('tr[data-connector="a11y-inspector"] button:has-text("Runs")');
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = '[data-testid=runs-dialog]';
    await page.waitForSelector(dialog);
    expect(await focusIn(dialog)).toBe(true);
    // More Tabs (and Shift+Tabs) than the dialog has controls: focus never leaves it.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await focusIn(dialog)).toBe(true);
    }
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await focusIn(dialog)).toBe(true);
    }
    await page.keyboard.press('Escape');
    await page.waitForSelector(dialog, { state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Runs');
    expect(await focusIn('tr[data-connector="a11y-inspector"]')).toBe(true);
  });

  it('a connectors row opens with Enter', async () => {
    await go('#/connectors', 'tr[data-connector="a11y-inspector"]');
    await page.locator('tr[data-connector="a11y-inspector"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=tab-general]');
    expect(await page.inputValue('#f-name')).toBe('a11y-inspector');
    // Space too, like a button.
    await go('#/connectors', 'tr[data-connector="a11y-inspector"]');
    await page.locator('tr[data-connector="a11y-inspector"]').focus();
    await page.keyboard.press(' ');
    await page.waitForSelector('[data-testid=tab-general]');
  });
});
