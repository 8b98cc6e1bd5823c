/**
 * Day-to-day operation in a real browser (issue 15, "Dead ends and misleading states"):
 * Data Analyzer profiles, the wizard's endpoint check / Edit Test / unsaved-input guard,
 * tenant and user management, the demo banner. Same stack as ui.test.ts (real server, real
 * emulator, Debian's Chromium). A failed test leaves a screenshot `ops-FAILED-<test>.png` in
 * test-artifacts/screenshots/; any page or console error fails the last test.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserStack, type BrowserStack, screenshotOnFailure } from './browser.js';

const ADMIN = { username: 'admin', password: 'e2e-Admin-Passw0rd!' };
const READER = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
/** Valid keys of another emulated user (no Inspector permission). */
const SOURCE_KEY_ID = 'AKIAI44QH8DHBEXAMPLE';

let s: BrowserStack;
let page: Page;
/** HTTP errors the walk provokes on purpose. */
const expectedHttpErrors: RegExp[] = [/^GET \/api\/v1\/auth\/me 401$/];

const json = async <T>(r: Promise<Response>, status = 200): Promise<T> => {
  const res = await r;
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
};

/** A connector created over the API (no profile): what a tenant admin or a cancelled prompt leaves. */
async function apiConnector(name: string, tenant?: string): Promise<string> {
  const body = {
    name,
    ...(tenant ? { tenant } : {}),
    region: 'us-east-1',
    auth: { method: 'access_key', accessKeyId: READER.id, secretAccessKey: READER.secret },
    endpoints: { sts: s.stack.emulatorUrl, inspector2: s.stack.emulatorUrl },
  };
  return (await json<{ id: string }>(s.api(ADMIN, 'POST', '/connectors', body), 201)).id;
}

async function login(user: { username: string; password: string }) {
  await page.goto(s.stack.url);
  await page.waitForSelector('form[aria-label="Log in"]');
  await page.fill('#login-user', user.username);
  await page.fill('#login-password', user.password);
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('nav[aria-label=Main]');
}

async function logout() {
  await page.click('button:has-text("Log out")');
  await page.waitForSelector('form[aria-label="Log in"]');
}

async function nav(label: string) {
  await page.click(`a.nav-link:has-text("${label}")`);
}

describe('operations in Chromium', () => {
  screenshotOnFailure(() => page);
  beforeAll(async () => {
    s = await startBrowserStack({ adminPassword: ADMIN.password, prefix: 'ic-e2e-ops-' });
    page = s.page;
  });
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      await s?.shot(`ops-FAILED-${task.name.replace(/[^\w-]+/g, '-').slice(0, 80)}`);
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  let orphanId = '';
  it('warns about a connector in no profile, fixes it with Add to Default, and manages profiles', async () => {
    orphanId = await apiConnector('ops-orphan');
    await login(ADMIN);
    await nav('Connectors');
    const row = page.locator('tr[data-connector="ops-orphan"]');
    const warning = row.locator('[data-testid=no-profile]');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('Not in a Data Analyzer profile: it will not run');
    expect(await page.locator('[data-testid=no-profile-banner]').innerText()).toContain(
      '1 connector is not in a Data Analyzer profile: it will not run.',
    );
    // Neither the switch nor the status claims it collects or waits for a run.
    const switchTitle = await row.locator('label.switch').getAttribute('title');
    expect(switchTitle).not.toBe('Collecting');
    expect(switchTitle).toContain('no Data Analyzer profile');
    expect(await row.locator('[data-state=never_run]').getAttribute('title')).not.toContain('Waiting');
    await s.shot('ops-01-connector-no-profile');

    const added = page.waitForResponse((r) => r.request().method() === 'PUT');
    await warning.locator('button:has-text("Add to Default")').click();
    expect((await added).status()).toBe(200);
    await warning.waitFor({ state: 'detached' });
    expect(await page.locator('[data-testid=no-profile-banner]').count()).toBe(0);
    expect(await row.locator('label.switch').getAttribute('title')).toBe('Collecting');

    // The Profiles page: Default lists it; Remove puts it back in no profile; Add restores it.
    await nav('Profiles');
    const def = page.locator('section[data-profile=default]');
    await def.locator('tr[data-member="ops-orphan"]').waitFor();
    await s.shot('ops-02-profiles');
    await def.locator('tr[data-member="ops-orphan"] button:has-text("Remove")').click();
    await def.locator('tr[data-member="ops-orphan"]').waitFor({ state: 'detached' });
    expect(await page.locator('[data-testid=orphans]').innerText()).toContain('ops-orphan');
    const profiles = await json<{ profiles: { id: string; connectorIds: string[] }[] }>(
      s.api(ADMIN, 'GET', '/profiles'),
    );
    expect(profiles.profiles.find((p) => p.id === 'default')?.connectorIds).not.toContain(orphanId);
    expect(await page.inputValue('#add-default')).toBe(orphanId);
    await def.locator('button:has-text("Add")').click();
    await def.locator('tr[data-member="ops-orphan"]').waitFor();
    expect(await page.locator('[data-testid=orphans]').count()).toBe(0);
  });

  it('shows a tenant admin the warning without the root-only fix or the Profiles page', async () => {
    await json(s.api(ADMIN, 'POST', '/tenants', { name: 'ops-acme' }), 201);
    const acmeAdmin = { username: 'ops-acme-admin', password: 'ops-Acme-Admin-Passw0rd!' };
    await json(
      s.api(ADMIN, 'POST', '/users', { ...acmeAdmin, role: 'tenant_admin', tenant: 'ops-acme' }),
      201,
    );
    await apiConnector('ops-acme-orphan', 'ops-acme');
    await logout();
    await login(acmeAdmin);
    expect(await page.locator('a.nav-link').allInnerTexts()).not.toContain('Profiles');
    const warning = page.locator('tr[data-connector="ops-acme-orphan"] [data-testid=no-profile]');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('Ask your administrator');
    expect(await warning.locator('button').count()).toBe(0);
    await s.shot('ops-03-tenant-admin-no-profile');
    await logout();
  });

  it('wizard: a disallowed endpoint host is flagged on its field as it is left, and cleared when corrected', async () => {
    await login(ADMIN);
    await page.click('a:has-text("+ Create")');
    await page.fill('#f-name', 'ops-wizard');
    await page.click('button:has-text("Next")');
    await page.click('summary:has-text("Advanced")');
    await page.fill('#f-endpoints-inspector2', 'https://inspector2.attacker.example:8443');
    const checked = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/connectors/validate');
    await page.press('#f-endpoints-inspector2', 'Tab');
    expect((await checked).status()).toBe(200);
    const fieldError = page.locator('.field-invalid:has(#f-endpoints-inspector2) .field-error');
    await fieldError.waitFor();
    expect(await fieldError.innerText()).toContain('inspector2.attacker.example:8443 is not allowed');
    await s.shot('ops-04-wizard-endpoint-on-blur');
    await page.fill('#f-endpoints-inspector2', s.stack.emulatorUrl);
    await page.press('#f-endpoints-inspector2', 'Tab');
    await fieldError.waitFor({ state: 'detached' });
    // Leave without saving: the unsaved input is confirmed first (accepted here).
    page.once('dialog', (d) => void d.accept());
    await page.click('a.btn:has-text("Cancel")');
    await page.waitForSelector('tr[data-connector="ops-orphan"]');
    expect(await page.locator('tr[data-connector="ops-wizard"]').count()).toBe(0);
  });

  it("Edit's Confirm tests the edited configuration (stored secret kept server-side) without saving it", async () => {
    await page.click('tr[data-connector="ops-orphan"] a:has-text("Edit")');
    await page.waitForSelector('[data-testid=tab-general]');
    await page.click('button:has-text("Next")');
    // Unchanged (secrets blank = stored): the saved keys work.
    await page.click('button:has-text("Next")');
    await page.waitForSelector('[data-testid=tab-confirm]');
    const dialog = page.locator('[data-testid=test-dialog]');
    let sent = page.waitForRequest((r) => r.url().endsWith(`/connectors/${orphanId}/test`));
    await page.click('button:has-text("Test")');
    expect((await sent).postDataJSON()).toMatchObject({ auth: { method: 'access_key' } });
    await dialog.locator('[data-testid=test-success]').waitFor();
    await dialog.locator('button[aria-label=Close]').click();
    // Another key ID with the secret left blank: tested with the stored secret -> 401, not saved.
    await page.click('button:has-text("Back")');
    await page.fill('#f-auth-accessKeyId', SOURCE_KEY_ID);
    await page.click('button:has-text("Next")');
    sent = page.waitForRequest((r) => r.url().endsWith(`/connectors/${orphanId}/test`));
    await page.click('button:has-text("Test")');
    const body = JSON.stringify((await sent).postDataJSON());
    expect(body).toContain(SOURCE_KEY_ID);
    expect(body).not.toContain(READER.secret);
    await dialog.locator('[data-testid=test-failure]').waitFor();
    expect(await dialog.innerText()).toContain('401');
    await s.shot('ops-05-edit-confirm-test');
    await dialog.locator('button[aria-label=Close]').click();
    const c = await json<{ config: { auth: { accessKeyId: string } } }>(
      s.api(ADMIN, 'GET', `/connectors/${orphanId}`),
    );
    expect(c.config.auth.accessKeyId).toBe('********');

    // Unsaved input: an in-app link asks first; dismissing stays, with the input kept.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await nav('Profiles');
    expect(asked).toEqual([expect.stringMatching(/^confirm: Leave this page\? .*not been saved/)]);
    expect(page.url()).toContain(`/connectors/${orphanId}/edit`);
    await page.click('button:has-text("Back")');
    expect(await page.inputValue('#f-auth-accessKeyId')).toBe(SOURCE_KEY_ID);
    // Reloading (or closing) the tab asks too: the browser's own beforeunload prompt.
    const unload = page.waitForEvent('dialog');
    const reload = page.reload().catch(() => undefined);
    const d = await unload;
    expect(d.type()).toBe('beforeunload');
    await d.dismiss();
    void reload; // cancelled by the dismissal; it settles on its own
    expect(await page.inputValue('#f-auth-accessKeyId')).toBe(SOURCE_KEY_ID);
    page.once('dialog', (x) => void x.accept());
    await nav('Connectors');
    await page.waitForSelector('tr[data-connector="ops-orphan"]');
  });

  it('Tenants & Users: plain password hint, old errors cleared, tenant delete refused naming what it holds, rename', async () => {
    await nav('Tenants & Users');
    await page.waitForSelector('table[aria-label=Users]');
    const hint = page.locator('.field:has(#u-password) .hint');
    expect(await hint.innerText()).toContain('At least 12 characters: shorter passwords are refused.');
    // A refused password names the field; typing again clears the old message.
    await page.fill('#u-name', 'ops-temp');
    await page.fill('#u-password', 'short');
    await page.click('button:has-text("Create user")');
    const pwError = page.locator('.field:has(#u-password) .field-error');
    await pwError.waitFor();
    expect(await pwError.innerText()).toContain('at least 12 characters');
    expectedHttpErrors.push(/^POST \/api\/v1\/users 400$/);
    await page.fill('#u-password', 'ops-Temp-User-Passw0rd!');
    await pwError.waitFor({ state: 'detached' });
    await page.click('button:has-text("Create user")');
    await page.waitForSelector('tr[data-user="ops-temp"]');

    // Delete a tenant that still has a connector and a user: refused, naming them.
    await page.click('tr[data-tenant="ops-acme"] button:has-text("Delete")');
    const confirm = page.getByRole('dialog', { name: 'Delete tenant', exact: true });
    await confirm.locator('button:has-text("Delete")').click();
    const refusal = confirm.locator('.banner-error');
    await refusal.waitFor();
    expect(await refusal.innerText()).toBe(
      'tenant ops-acme still has connectors ops-acme-orphan and users ops-acme-admin: delete or move them first',
    );
    expectedHttpErrors.push(/^DELETE \/api\/v1\/tenants\/[^/]+ 409$/);
    await s.shot('ops-06-tenant-delete-refused');
    await confirm.locator('button:has-text("Cancel")').click();

    // Rename: the tenant's connector follows.
    await page.click('tr[data-tenant="ops-acme"] button:has-text("Rename")');
    await page.fill('#rt-name', 'ops-acme-corp');
    await page.click('[role=dialog] button:has-text("Rename")');
    await page.waitForSelector('tr[data-tenant="ops-acme-corp"]');
    const list = await json<{ connectors: { name: string; tenant: string }[] }>(
      s.api(ADMIN, 'GET', '/connectors'),
    );
    expect(list.connectors.find((c) => c.name === 'ops-acme-orphan')?.tenant).toBe('ops-acme-corp');

    // An empty tenant is deleted.
    await page.fill('#t-name', 'ops-empty');
    await page.click('button:has-text("Create tenant")');
    await page.click('tr[data-tenant="ops-empty"] button:has-text("Delete")');
    await page
      .getByRole('dialog', { name: 'Delete tenant', exact: true })
      .locator('button:has-text("Delete")')
      .click();
    await page.locator('tr[data-tenant="ops-empty"]').waitFor({ state: 'detached' });
  });

  it('Tenants & Users: edit a user, disable (no log-in) and enable, reset the password, delete; never yourself', async () => {
    const row = page.locator('tr[data-user="ops-acme-admin"]');
    await row.locator('button:has-text("Edit")').click();
    await page.selectOption('#eu-role', 'analyst');
    await page.click('[role=dialog] button:has-text("Save")');
    await expect.poll(() => row.locator('td').nth(1).innerText()).toBe('Analyst');

    await row.locator('button:has-text("Disable")').click();
    await row.locator('.badge:has-text("disabled")').waitFor();
    await s.shot('ops-07-users');
    const loginAs = (password: string) =>
      fetch(`${s.stack.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ops-acme-admin', password }),
      });
    expect((await loginAs('ops-Acme-Admin-Passw0rd!')).status).toBe(401);
    await row.locator('button:has-text("Enable")').click();
    await row.locator('.badge:has-text("enabled")').waitFor();
    expect((await loginAs('ops-Acme-Admin-Passw0rd!')).status).toBe(200);

    await row.locator('button:has-text("Reset password")').click();
    const reset = page.getByRole('dialog', { name: 'Reset password: ops-acme-admin', exact: true });
    expect(await reset.locator('.hint').innerText()).toContain('At least 12 characters');
    await page.fill('#rp-password', 'aaaaaaaaaaaaaaaa');
    await reset.locator('button[type=submit]').click();
    await reset.locator('.field-error').waitFor();
    expectedHttpErrors.push(/^POST \/api\/v1\/users\/[^/]+\/password 400$/);
    await page.fill('#rp-password', 'ops-New-Acme-Passw0rd!');
    expect(await reset.locator('.field-error').count()).toBe(0);
    await reset.locator('button[type=submit]').click();
    await reset.waitFor({ state: 'detached' });
    expect((await loginAs('ops-New-Acme-Passw0rd!')).status).toBe(200);

    await page.click('tr[data-user="ops-temp"] button:has-text("Delete")');
    await page
      .getByRole('dialog', { name: 'Delete user', exact: true })
      .locator('button:has-text("Delete")')
      .click();
    await page.locator('tr[data-user="ops-temp"]').waitFor({ state: 'detached' });

    // The only root admin cannot disable, demote or delete themselves.
    const me = page.locator('tr[data-user="admin"]');
    for (const b of ['Edit', 'Disable', 'Delete'])
      expect(await me.locator(`button:has-text("${b}")`).isDisabled()).toBe(true);
    expect(await me.locator('button:has-text("Disable")').getAttribute('title')).toBe(
      'You cannot disable yourself',
    );
  });

  it('saw no browser errors and only the HTTP errors it provoked', () => {
    expect(s.problems).toEqual([]);
    expect(s.httpErrors.filter((e) => !expectedHttpErrors.some((re) => re.test(e)))).toEqual([]);
  });
});
