// The panel at a site's scale: 2,000 verified runs (PANEL_SCALE_RUNS: 5,000
// for a site's), and a few others, in a
// real headless Chromium. The listing draws a page at a time while sorting
// and filtering take every run, and "Clear verified runs" clears them all as
// one job of the server's own selection, not a list capped at the set limit.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { formatBytes, plural } from '../../panel/src/format.ts';
import { describeWithBrowser } from '../helpers/browser.ts';
import { servedPanel, shownRuns } from '../helpers/panelHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

// 2,000 by default (a bulk clear of them takes minutes here); PANEL_SCALE_RUNS=5000 for a site's scale.
const VERIFIED_RUNS = Number(process.env.PANEL_SCALE_RUNS ?? 2000);
const EQUIPMENT = 10;
const verifiedRun = (n: number): string => `EQ_${n % EQUIPMENT}/PROJ-1/Runs/Run_${String(n).padStart(5, '0')}`;
const STAGING = 'EQ_0/PROJ-2/Runs/Run_staging';
const QUEUED = 'EQ_1/PROJ-2/Runs/Run_queued';
// Verified, but a file written since: a clear refuses it.
const UNSYNCED = 'EQ_2/PROJ-2/Runs/Run_unsynced';
const BIG = 'EQ_3/PROJ-2/Runs/Run_big';
const OTHERS = [STAGING, QUEUED, UNSYNCED, BIG];
const TOTAL = VERIFIED_RUNS + OTHERS.length;

interface Row {
  run_path: string;
  clearable: boolean;
  bytes_to_free: number;
  files_to_free: number;
}

describeWithBrowser(`the staging panel with ${VERIFIED_RUNS} verified runs`, () => {
  const panel = servedPanel({}, (staging) => {
    for (let n = 0; n < VERIFIED_RUNS; n += 1) makeRun(staging, verifiedRun(n), { files: { 'd.raw': 'x'.repeat(n % 100) } });
    makeRun(staging, STAGING, { state: 'staging' });
    makeRun(staging, QUEUED, { state: 'sync_queued' });
    makeRun(staging, UNSYNCED);
    fs.writeFileSync(path.join(staging, UNSYNCED, 'late.raw'), 'written after verification');
    makeRun(staging, BIG, { files: { 'big.raw': 'b'.repeat(100_000) } });
  });
  const runDir = (runPath: string) => path.join(panel.served.staging, runPath);

  it('draws the listing a page at a time, while sorting and filtering take every run', { timeout: 120_000 }, async () => {
    const { page } = await panel.open();
    await expect.poll(() => page.locator('#summary').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^${plural(TOTAL, 'run')}, `));
    expect(await page.locator('#runs-body tr').count()).toBe(200);
    expect(await page.locator('#runs-shown').textContent()).toBe(`Showing 200 of ${plural(TOTAL, 'run')}.`);
    await page.locator('#runs-more').click();
    expect(await page.locator('#runs-body tr').count()).toBe(400);
    // The largest run of all comes first, wherever it was.
    await page.getByTitle('Sort by size').click();
    expect((await shownRuns(page))[0]).toBe(BIG);
    expect(await page.locator('#runs-body tr').count()).toBe(200);
    await page.locator('#filter-state').selectOption('staging');
    expect(await shownRuns(page)).toEqual([STAGING]);
    expect(await page.locator('#runs-paging').isHidden()).toBe(true);
    await page.locator('#filter-state').selectOption('');
    await page.locator('#filter-equipment').selectOption('EQ_7');
    expect(await page.locator('#summary').textContent()).toMatch(new RegExp(`^${plural(VERIFIED_RUNS / EQUIPMENT, 'run')}, `));
    expect(await page.locator('#runs-shown').textContent()).toBe(`Showing 200 of ${plural(VERIFIED_RUNS / EQUIPMENT, 'run')}.`);
  });

  it('clears every verified run as one job after a confirmation giving their total, and leaves the others', { timeout: 600_000 }, async () => {
    const { runs } = await panel.api<{ runs: Row[] }>('/api/v1/staging');
    const going = runs.filter((row) => row.clearable && row.run_path !== UNSYNCED);
    expect(going).toHaveLength(VERIFIED_RUNS + 1);
    const bytes = going.reduce((sum, row) => sum + row.bytes_to_free, 0);
    const { page } = await panel.open();
    await expect.poll(() => page.locator('#summary').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^${plural(TOTAL, 'run')}, `));
    await page.locator('#clear-verified').click();
    await page.locator('#clear-confirm').waitFor({ timeout: 300_000 });
    expect(await page.locator('#clear-body .total').textContent()).toBe(`${plural(going.length, 'run')}, ${formatBytes(bytes)}`);
    expect(await page.locator('#clear-body .failure .run').allTextContents()).toEqual([UNSYNCED]);
    await page.locator('#clear-confirm').click();
    const outcome = page.locator('#clear-body .outcome');
    await outcome.waitFor({ timeout: 500_000 });
    expect(await outcome.textContent()).toMatch(new RegExp(`^Done, some runs kept: ${plural(going.length, 'run')} cleared, `));
    for (const row of going) expect(fs.existsSync(runDir(row.run_path)), row.run_path).toBe(false);
    for (const kept of [STAGING, QUEUED, UNSYNCED]) expect(fs.existsSync(path.join(runDir(kept), '.exlab-wizard/ingest.json')), kept).toBe(true);
    const journal = await panel.api<{ clears: unknown[]; next_offset: number | null }>(`/api/v1/staging/clears?limit=1000&offset=${VERIFIED_RUNS}`);
    expect(journal.clears).toHaveLength(1);
    await page.locator('#clear-close').click();
    await expect.poll(() => page.locator('#summary').textContent(), { timeout: 60_000 }).toMatch(/^3 runs, /);
  });
});
