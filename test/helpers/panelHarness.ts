// The panel as a person meets it: the built service (node dist/main.js)
// over its own temporary staging tree, and a real headless Chromium, for one
// describe block; each test opens a new tab, watched for problems (console
// errors, CSP violations, script dialogs), which fail the test. The page is
// reached directly or through a real nginx serving it under /cleanup/.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { describeWithBrowser, launchBrowser, watchPage, type Browser } from './browser.ts';
import { NGINX, startNginx, type Proxy } from './nginx.ts';
import { skipUnless } from './skipUnless.ts';
import { startService, type ServiceProcess } from './serviceProcess.ts';
import { makeTempDir } from './stagingTree.ts';

// How the browser reaches the service.
export type PanelRoute = 'direct' | 'nginx';

// The panel tests of `body`, twice: with the service reached directly, and
// through nginx under /cleanup/ (skipped, saying why, without nginx).
export function describeBothWays(title: string, body: (route: PanelRoute) => void): void {
  describeWithBrowser(title, () => body('direct'));
  const withNginx = skipUnless(describeWithBrowser, NGINX !== null, 'no nginx found (apt-get install -y nginx)');
  withNginx(`${title}, through nginx under /cleanup/`, () => body('nginx'));
}

// A service with `env` over a staging tree that `fill` writes, and a
// browser, for the describe block it is called in; `served.base` is where
// the browser finds the service (through nginx: http://127.0.0.1:PORT/cleanup).
export function servedPanel(env: Record<string, string>, fill: (staging: string) => void, route: PanelRoute = 'direct') {
  const served = { dir: '', staging: '', base: '', service: null as ServiceProcess | null, browser: null as Browser | null };
  let proxy: Proxy | null = null;
  let page: Page | null = null;
  let problems: string[] = [];
  beforeAll(async () => {
    served.dir = makeTempDir();
    served.staging = path.join(served.dir, 'staging');
    fill(served.staging);
    served.service = startService(env, served.dir);
    [served.base, served.browser] = await Promise.all([served.service.listening, launchBrowser()]);
    if (route === 'nginx') {
      proxy = await startNginx(served.base);
      served.base = proxy.base;
    }
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await served.browser?.close();
    served.service?.child.kill('SIGTERM');
    await served.service?.exited;
    fs.rmSync(served.dir, { recursive: true, force: true });
  }, 60_000);
  afterEach(async () => {
    await page?.close();
    page = null;
    expect(problems).toEqual([]);
  });
  return {
    served,
    // A new tab on the panel (its own sessionStorage) or another page,
    // watched for problems, and the headers the page came with.
    async open(route = '/'): Promise<{ page: Page; headers: Record<string, string> }> {
      page = await (served.browser as Browser).context.newPage();
      problems = watchPage(page);
      const response = await page.goto(`${served.base}${route}`);
      return { page, headers: response?.headers() ?? {} };
    },
    api: async <T>(route: string, init?: RequestInit): Promise<T> => (await fetch(`${served.base}${route}`, init)).json() as Promise<T>,
  };
}

export const rowOf = (page: Page, runPath: string) => page.locator(`#runs-body tr[data-run-path=${JSON.stringify(runPath)}]`);
export const cellsOf = (page: Page, runPath: string) => rowOf(page, runPath).locator('td').allTextContents();
export const shownRuns = (page: Page) =>
  page.locator('#runs-body tr[data-run-path]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run-path')));
