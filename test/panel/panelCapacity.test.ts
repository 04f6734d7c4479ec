// The staging volume in the panel: a real tmpfs as the staging root, filled
// with runs of every class and a few that come due over the next days, and
// free-space samples of the last hours in the journal folder. A screenshot is
// saved (test/helpers/screenshots.ts says where).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { formatBytes } from '../../panel/src/format.ts';
import { describeWithBrowser } from '../helpers/browser.ts';
import { servedPanel } from '../helpers/panelHarness.ts';
import { describeAsRoot } from '../helpers/root.ts';
import { makeRun, makeTempDir, writeFiles } from '../helpers/stagingTree.ts';
import { isMounted, mountTmpfs, unmount } from '../helpers/tmpfs.ts';
import { screenshotPath } from '../helpers/screenshots.ts';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

interface Capacity {
  volume: { used_percent: number; avail_bytes: number; used_bytes: number };
  staged: Record<'clearable' | 'retained' | 'unverified' | 'interrupted', { bytes: number }>;
  forecast: { hours: Array<{ starts_at: string; bytes: number }> };
  fill: { message: string; filling: boolean };
}

const volume = makeTempDir('staging-volume-');
afterAll(() => {
  if (isMounted(volume)) unmount(volume);
  fs.rmSync(volume, { recursive: true, force: true });
});

// Verified `hoursAgo` before now, with `mib` MiB of data.
function run(name: string, mib: number, verifiedHoursAgo: number | null): void {
  const spec = verifiedHoursAgo === null ? { state: 'sync_queued' as const } : { verifiedAt: stamp(Date.now() - verifiedHoursAgo * HOUR) };
  makeRun(volume, `CONFOCAL_01/PROJ-0042/Runs/${name}`, { ...spec, files: { 'stack.tif': 'x'.repeat(mib * MiB) } });
}

function fill(dir: string): void {
  mountTmpfs(volume, '64m');
  run('Run_due_now', 6, 30);
  run('Run_due_in_4h', 5, 20);
  run('Run_due_in_22h', 8, 2);
  run('Run_due_in_23h', 4, 1);
  // Verified "in two days": not trusted (verified_in_future), so never forecast.
  run('Run_verified_ahead', 7, -48);
  run('Run_acquiring', 12, null);
  writeFiles(volume, { 'not-a-run/scratch.bin': 'x'.repeat(10 * MiB) });
  // Six hours of samples losing 2 MiB an hour, ending at what is free now.
  const { bavail, bsize } = fs.statfsSync(volume);
  const journal = path.join(dir, 'journal');
  fs.mkdirSync(journal, { recursive: true });
  const lines = Array.from({ length: 13 }, (_, index) => {
    const hoursAgo = 6 - index / 2;
    const avail = bavail * bsize + hoursAgo * 2 * MiB;
    return JSON.stringify({ at: stamp(Date.now() - hoursAgo * HOUR), size_bytes: 64 * MiB, free_bytes: avail, avail_bytes: avail });
  });
  fs.writeFileSync(path.join(journal, 'volume.panel-host.jsonl'), `${lines.join('\n')}\n`);
}

describeAsRoot('the staging volume in the panel', () => {
  describeWithBrowser('in Chromium, on a 64 MiB tmpfs', () => {
    const panel = servedPanel(
      {
        STAGING_CLEANUP_STAGING_ROOT: volume,
        STAGING_CLEANUP_HOST_LABEL: 'panel-host',
        STAGING_CLEANUP_MODE: 'scheduled',
        STAGING_CLEANUP_RETAIN_HOURS: '24',
        STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '95',
        STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '85',
      },
      (staging) => fill(path.dirname(staging)),
    );

    it('shows how full the volume is and why, the time to full, and the space coming free over 7 days', async () => {
      const { page } = await panel.open();
      await page.locator('#volume-gauge').waitFor();
      const capacity = await panel.api<Capacity>('/api/v1/staging/capacity');

      const headline = await page.locator('.volume-headline').textContent();
      expect(headline).toContain(`${capacity.volume.used_percent}% used`);
      expect(headline).toContain(capacity.fill.message);
      expect(capacity.fill.filling).toBe(true);
      expect(capacity.fill.message).toMatch(/^at the last [\d.]+ h's rate, full in [\d.]+ h$/);
      expect(headline).toContain('under the 95% mark');

      const segment = (name: string) => page.locator(`#volume-gauge .seg-${name}`).getAttribute('data-bytes').then(Number);
      expect(await segment('clearable')).toBe(capacity.staged.clearable.bytes + capacity.staged.interrupted.bytes);
      expect(await segment('retained')).toBe(capacity.staged.retained.bytes);
      expect(await segment('unverified')).toBe(capacity.staged.unverified.bytes);
      expect(await segment('other')).toBeGreaterThanOrEqual(10 * MiB);
      expect(await page.locator('#volume-gauge .mark').count()).toBe(2);
      expect(await page.locator('.legend').textContent()).toContain(`clearable now ${formatBytes(capacity.staged.clearable.bytes)}`);

      const due = capacity.forecast.hours.filter((hour) => hour.bytes > 0);
      // The run verified ahead of the clock is not trusted and adds no hour.
      expect(due).toHaveLength(3);
      const bars = await page.locator('#volume-forecast rect.due').evaluateAll((rects) =>
        rects.map((rect) => ({ starts_at: rect.getAttribute('data-starts-at'), bytes: Number(rect.getAttribute('data-bytes')) })),
      );
      expect(bars).toEqual(due.map(({ starts_at, bytes }) => ({ starts_at, bytes })));

      const box = (await page.locator('#volume').boundingBox())!;
      await page.screenshot({ path: screenshotPath('panel-capacity.png'), clip: { x: 0, y: 0, width: 1400, height: Math.ceil(box.y + box.height + 60) } });
    });
  });
});
