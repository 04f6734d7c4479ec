// The staging panel as its settings shape it: scheduled mode (when each run
// becomes due) and tokens (asked for, kept per tab, read scope), in a real
// headless Chromium.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { cellsOf, describeBothWays, rowOf, servedPanel } from '../helpers/panelHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

describeBothWays('the staging panel in scheduled mode', (route) => {
  const hoursAgo = (hours: number) => `${new Date(Date.now() - hours * 3_600_000).toISOString().slice(0, 19)}Z`;
  const KEPT = 'EQ_01/PROJ-1/Runs/Run_kept';
  const DUE = 'EQ_01/PROJ-1/Runs/Run_due';
  const panel = servedPanel({ STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_RETAIN_HOURS: '24' }, (staging) => {
    makeRun(staging, KEPT, { verifiedAt: hoursAgo(2.5) });
    makeRun(staging, DUE, { verifiedAt: hoursAgo(30.5) });
  }, route);

  it('says when each verified run becomes due, and that the sweep clears them', async () => {
    const { page } = await panel.open();
    await rowOf(page, KEPT).waitFor();
    expect((await cellsOf(page, KEPT)).slice(-3)).toEqual(['Verified; kept for the retain window', 'in 21 h', 'Clear']);
    expect((await cellsOf(page, DUE)).slice(-3)).toEqual(['Due: the next sweep clears it', 'now', 'Clear']);
    expect(await page.locator('#mode').textContent()).toBe('Scheduled mode: the sweep clears verified runs 24 h after verification.');
    expect(await page.locator('#clear-verified').textContent()).toBe('Clear verified runs now');
  });
});

const CLEAR_TOKEN = 'panel-clear-token-0123456789';
const READ_TOKEN = 'panel-read-token-0123456789';
const TOKENS = {
  STAGING_CLEANUP_TOKENS: JSON.stringify([
    { token: CLEAR_TOKEN, scope: 'clear', name: 'admin' },
    { token: READ_TOKEN, scope: 'read', name: 'viewer' },
  ]),
};
const RUN = 'EQ_01/PROJ-1/Runs/Run_2026-04-17T14-32';

describeBothWays('the staging panel with tokens configured', (route) => {
  const panel = servedPanel(TOKENS, (staging) => makeRun(staging, RUN), route);

  async function signIn(page: Page, token: string): Promise<void> {
    await page.locator('#token-dialog[open]').waitFor();
    await page.locator('#token-input').fill(token);
    await page.locator('#token-form button[type=submit]').click();
  }

  it('asks for a token, keeps it in sessionStorage only, and sends it as a bearer header only, to the event stream too (never in a URL)', async () => {
    const { page } = await panel.open();
    await signIn(page, 'not-a-token-this-service-knows');
    await page.locator('#token-error:not([hidden])').waitFor();
    expect(await page.locator('#token-error').textContent()).toContain('not known');
    const requests: Array<{ url: string; authorization: string | undefined }> = [];
    page.on('request', (request) => requests.push({ url: request.url(), authorization: request.headers().authorization }));
    const stream = page.waitForRequest((request) => request.url().includes('/api/v1/events'));
    await signIn(page, CLEAR_TOKEN);
    await rowOf(page, RUN).waitFor();
    await stream;
    expect(await page.locator('#who').textContent()).toBe('admin (clear)');
    expect(await rowOf(page, RUN).getByRole('button', { name: 'Clear' }).isEnabled()).toBe(true);
    const storage = await page.locator('body').evaluate((body) => {
      const view = body.ownerDocument.defaultView!;
      return { session: { ...view.sessionStorage }, local: view.localStorage.length, cookie: body.ownerDocument.cookie };
    });
    expect(storage).toEqual({ session: { 'staging-cleanup.token': CLEAR_TOKEN }, local: 0, cookie: '' });
    const api = requests.filter(({ url }) => url.includes('/api/v1/') && !url.includes('/api/v1/health'));
    // The event stream too: its token in the header, never in a URL (which an access log keeps).
    expect(api.filter(({ url }) => url.includes('/api/v1/events'))).toHaveLength(1);
    expect(api.map(({ authorization }) => authorization)).toEqual(api.map(() => `Bearer ${CLEAR_TOKEN}`));
    expect(api.length).toBeGreaterThanOrEqual(3);
    expect(api.every(({ url }) => !url.includes('access_token') && !url.includes(CLEAR_TOKEN))).toBe(true);
  });

  it('shows a read token the runs with every Clear button off, and says why', async () => {
    const { page } = await panel.open();
    await signIn(page, READ_TOKEN);
    const clear = rowOf(page, RUN).getByRole('button', { name: 'Clear' });
    await clear.waitFor();
    expect(await clear.isDisabled()).toBe(true);
    expect(await clear.getAttribute('title')).toContain('scope read');
    expect(await page.locator('#clear-verified').isDisabled()).toBe(true);
    expect(await page.locator('#scope-notice').textContent()).toContain('viewer has scope read');
    expect(await page.locator('#scope-notice').isVisible()).toBe(true);
  });
});
