/**
 * What a browser e2e file needs around `startStack`: the UI built from the current sources (the
 * production bundle, as shipped), Debian's Chromium, a page whose console and page errors are
 * collected, a screenshot helper, and an API session for setting up state over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterEach } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, type Stack } from './stack.js';

export const SHOTS = path.resolve('test-artifacts/screenshots');

export interface BrowserStack {
  /** The temp dir (data, built UI); removed by close(). */
  dir: string;
  stack: Stack;
  browser: Browser;
  page: Page;
  /** Page errors and console errors (failed fetches excepted: see `httpErrors`). */
  problems: string[];
  /** Every HTTP answer >= 400 the page received: `METHOD path status`. */
  httpErrors: string[];
  shot(name: string): Promise<void>;
  /** An API call as `user` (a bearer session, logged in once per user). */
  api(
    user: { username: string; password: string },
    method: string,
    p: string,
    body?: unknown,
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Call inside a browser `describe`: after each test that failed, the page as it was is saved to
 * `test-artifacts/screenshots/FAILED-<test name>.png` (CI keeps the folder for diagnosis).
 */
export function screenshotOnFailure(page: () => Page | undefined): void {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const p = page();
    if (!p || p.isClosed()) return;
    fs.mkdirSync(SHOTS, { recursive: true });
    const name = ctx.task.name.replace(/[^\w.-]+/g, '-').slice(0, 100);
    await p.screenshot({ path: path.join(SHOTS, `FAILED-${name}.png`) }).catch(() => undefined);
  });
}

/** Builds the UI from the current sources into `outDir`: the production bundle, as shipped. */
export async function buildWeb(outDir: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would give React's development bundle: build what ships.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.resolve('vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

/** Debian's Chromium, headless, with no background traffic (the machines have no internet). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export async function startBrowserStack(opts: {
  adminPassword: string;
  prefix: string;
  viewport?: { width: number; height: number };
}): Promise<BrowserStack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  fs.mkdirSync(SHOTS, { recursive: true });
  const webRoot = path.join(tmp, 'web');
  await buildWeb(webRoot);
  const stack = await startStack({
    dataDir: path.join(tmp, 'data'),
    webRoot,
    adminPassword: opts.adminPassword,
  });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await stack.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const page = await (
    await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } })
  ).newPage();
  const problems: string[] = [];
  const httpErrors: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400)
      httpErrors.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every failed fetch; those are checked through `httpErrors`.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    problems.push(`console error: ${m.text()}`);
  });
  const tokens = new Map<string, string>();
  const api: BrowserStack['api'] = async (user, method, p, body) => {
    let token = tokens.get(user.username);
    if (!token) {
      const login = await fetch(`${stack.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(user),
      });
      if (!login.ok) throw new Error(`log-in of ${user.username}: ${login.status}`);
      token = ((await login.json()) as { token: string }).token;
      tokens.set(user.username, token);
    }
    return fetch(`${stack.url}/api/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  return {
    dir: tmp,
    stack,
    browser,
    page,
    problems,
    httpErrors,
    shot: async (name) => {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
    },
    api,
    async close() {
      await browser.close();
      await stack.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
