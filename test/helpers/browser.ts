// A real headless Chromium (Debian's chromium package) driven by
// playwright-core, for the panel's end-to-end tests: a fresh profile per
// launch, the flags that keep it off the network, and what a page shows in
// its console. Where no Chromium is found the tests are skipped, saying why
// (.ci/run installs it).
import fs from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { skipUnless } from './skipUnless.ts';
import { makeTempDir } from './stagingTree.ts';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const CHROMIUM = CANDIDATES.find((file): file is string => file !== undefined && fs.existsSync(file)) ?? null;
const WHY = 'no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)';

export const describeWithBrowser = skipUnless(describe, CHROMIUM !== null, WHY);

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(WHY);
  const profile = makeTempDir('chromium-profile-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 820 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Chromium logs every API refusal (a 4xx answer to fetch) as a console
// error; those are answers the page shows, not faults of the page.
const REFUSAL_LOADED = /^Failed to load resource: the server responded with a status of 4\d\d/;

// What went wrong in a page: console errors (CSP violations among them),
// uncaught exceptions, and any alert or other dialog a script opened.
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !REFUSAL_LOADED.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}
