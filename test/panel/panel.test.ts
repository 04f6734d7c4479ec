// The staging panel end to end on the demo tree, driven in a real headless
// Chromium as a person would use it (panelSettings.test.ts: tokens and
// scheduled mode). The tests run in order on one tree: each clear changes
// what the next one sees. A screenshot of the panel on the demo tree is
// saved; UPDATE_SCREENSHOTS=1 makes it reports/panel.png, the one the README
// shows (test/helpers/screenshots.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { formatBytes, plural } from '../../panel/src/format.ts';
import { writeDemoTree } from '../helpers/demoTree.ts';
import { cellsOf, describeBothWays, rowOf, servedPanel, shownRuns } from '../helpers/panelHarness.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';
import { screenshotPath } from '../helpers/screenshots.ts';

const VERIFIED = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const RECENT = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-18T10-05';
const UNSYNCED = 'MICRO_03/PROJ-0100/Runs/Run_2026-04-18T16-00';
const HTML_NAMED = 'EVIL_01/PROJ-1/Runs/Run_<img src=x onerror=alert(1)>';
const FIFO_NAME = '<b>pipe';

interface Row {
  run_path: string;
  current_state: string;
  equipment_id: string;
  byte_total: number;
  bytes_to_free: number;
  verified_at: string | null;
}

describeBothWays('the staging panel in Chromium, on the demo tree', (route) => {
  const panel = servedPanel(
    {},
    (staging) => {
      writeDemoTree(staging);
      // Where only folders belong: a note, and a FIFO named like markup.
      fs.writeFileSync(path.join(staging, 'CONFOCAL_01/notes.txt'), 'not a project');
      execFileSync('mkfifo', [path.join(staging, 'CONFOCAL_01/PROJ-0042/Runs', FIFO_NAME)]);
    },
    route,
  );
  const runDir = (runPath: string) => path.join(panel.served.staging, runPath);
  const listing = () => panel.api<{ runs: Row[] }>('/api/v1/staging');

  it('lists every staged run with its state, sizes and reason, and the unreadable ones apart, under a strict CSP', async () => {
    const { page: shown, headers } = await panel.open();
    const csp = headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await rowOf(shown, VERIFIED).waitFor();
    const { runs } = await listing();
    expect((await shownRuns(shown)).sort()).toEqual(runs.map((row) => row.run_path).sort());
    const verified = runs.find((row) => row.run_path === VERIFIED)!;
    expect(await cellsOf(shown, VERIFIED)).toEqual([
      'sync verified',
      'Run_2026-04-17T14-32',
      'CONFOCAL_01',
      'Cortex Q3 Pilot',
      'experimental',
      '12',
      formatBytes(verified.byte_total),
      formatBytes(verified.bytes_to_free),
      '2 d 3 h ago',
      'Verified; clears are manual',
      'Clear',
    ]);
    expect(await rowOf(shown, VERIFIED).locator('.pill').getAttribute('class')).toContain('state-sync_verified');
    expect((await cellsOf(shown, UNSYNCED)).slice(-2)).toEqual(['Has files that are not on the NAS', '']);
    await expect.poll(() => shown.locator('#problems-body').textContent()).toContain('schema_major_mismatch');
    expect(await shown.locator('#problems-body').textContent()).toContain('TECAN_02/PROJ-0007/Runs/Run_2026-03-02T12-00');
    const fifoRow = shown.locator('#problems-body tr', { hasText: FIFO_NAME });
    expect(await fifoRow.locator('td').allTextContents()).toEqual([
      `CONFOCAL_01/PROJ-0042/Runs/${FIFO_NAME}`,
      'not_a_folder (fifo)',
      expect.stringContaining('is a FIFO (named pipe), not a folder'),
    ]);
    expect(await shown.locator('#problems-body b').count()).toBe(0);
    expect(await shown.locator('#problems-body tr', { hasText: 'CONFOCAL_01/notes.txt' }).locator('td').nth(1).textContent()).toBe(
      'not_a_folder (file)',
    );
    expect(await shown.locator('#health').textContent()).toBe('ready');
    expect(await shown.locator('#mode').textContent()).toContain('Manual mode');
    expect(await shown.locator('#clear-verified').textContent()).toBe('Clear verified runs (manual)');
    if (route === 'direct') {
      const content = (await shown.locator('main').boundingBox())!;
      await shown.screenshot({ path: screenshotPath('panel.png'), clip: { x: 0, y: 0, width: 1400, height: Math.ceil(content.y + content.height) } });
    }
  });

  it('leaves Swagger UI at /docs working under its own policy, its calls aimed where the page came from', async () => {
    const { page, headers } = await panel.open('/docs');
    expect(page.url()).toBe(`${panel.served.base}/docs/`);
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock-summary').first().click();
    await page.locator('.opblock-body').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    const server = route === 'nginx' ? '/cleanup' : '/';
    expect(await page.locator('.servers select option').first().textContent()).toContain(server);
    expect((await panel.api<{ servers: Array<{ url: string }> }>('/openapi.json')).servers[0]?.url).toBe(server);
  });

  it('sorts by size and by age since verification, and filters by state and equipment', async () => {
    const { page } = await panel.open();
    await rowOf(page, VERIFIED).waitFor();
    const { runs } = await listing();
    const bySize = [...runs].sort((a, b) => b.byte_total - a.byte_total).map((row) => row.run_path);
    await page.getByTitle('Sort by size').click();
    expect(await shownRuns(page)).toEqual(bySize);
    await page.getByTitle('Sort by size').click();
    expect(await shownRuns(page)).toEqual([...runs].sort((a, b) => a.byte_total - b.byte_total).map((row) => row.run_path));
    const age = (row: Row) => (row.verified_at ? Date.now() - Date.parse(row.verified_at) : -1);
    await page.getByTitle('Sort by verified').click();
    expect(await shownRuns(page)).toEqual([...runs].sort((a, b) => age(b) - age(a)).map((row) => row.run_path));
    await page.locator('#filter-equipment').selectOption('TECAN_02');
    const tecan = runs.filter((row) => row.equipment_id === 'TECAN_02');
    expect((await shownRuns(page)).sort()).toEqual(tecan.map((row) => row.run_path).sort());
    await page.locator('#filter-state').selectOption('sync_verified');
    const verifiedTecan = tecan.filter((row) => row.current_state === 'sync_verified');
    expect(await shownRuns(page)).toEqual(verifiedTecan.map((row) => row.run_path));
    expect(await page.locator('#summary').textContent()).toBe(
      `${plural(verifiedTecan.length, 'run')}, ${formatBytes(verifiedTecan.reduce((sum, row) => sum + row.byte_total, 0))}`,
    );
  });

  it('shows a run named with HTML as those characters, and runs no script of it', async () => {
    makeRun(panel.served.staging, HTML_NAMED, { extraIngest: { project_name: '<script>alert(2)</script>' } });
    const { page } = await panel.open();
    await rowOf(page, HTML_NAMED).waitFor();
    const cells = await cellsOf(page, HTML_NAMED);
    expect(cells[1]).toBe('Run_<img src=x onerror=alert(1)>');
    expect(cells[3]).toBe('<script>alert(2)</script>');
    expect(await page.locator('#runs-body img, #runs-body script').count()).toBe(0);
    await rowOf(page, HTML_NAMED).getByRole('button', { name: 'Clear' }).click();
    await page.locator('#clear-confirm').waitFor();
    expect(await page.locator('#clear-title').textContent()).toBe(`Clear ${HTML_NAMED}`);
    expect(await page.locator('#clear-dialog img').count()).toBe(0);
    await page.locator('#clear-close').click();
  });

  it('clears a run after a dry-run confirmation, with progress from the event stream, and the row goes', async () => {
    const { page } = await panel.open();
    const dry = await panel.api<{ files_freed: number; bytes_freed: number }>(
      `/api/v1/staging/${VERIFIED}/clear?dry_run=true`,
      { method: 'POST' },
    );
    await rowOf(page, VERIFIED).getByRole('button', { name: 'Clear' }).click();
    await page.locator('#clear-confirm').waitFor();
    expect(await page.locator('#clear-body').textContent()).toContain(
      `This deletes ${plural(dry.files_freed, 'file')} (${formatBytes(dry.bytes_freed)}) from staging.`,
    );
    expect(fs.existsSync(runDir(VERIFIED))).toBe(true);
    await recordProgress(page);
    await page.locator('#clear-confirm').click();
    const outcome = page.locator('#clear-body .outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toBe(
      `Done: 1 run cleared, ${plural(dry.files_freed, 'file')} (${formatBytes(dry.bytes_freed)}) freed.`,
    );
    // The bar moved on clear_progress events, before the job was seen to end.
    const seen = await page.locator('#clear-progress-text').evaluate(
      (line) => (line as unknown as { progressSeen: Array<{ text: string; ended: boolean }> }).progressSeen,
    );
    expect(seen.some(({ text, ended }) => !ended && /^[1-9][\d,]* of [\d,]+ files deleted/.test(text))).toBe(true);
    const bar = page.locator('#clear-progress');
    expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual([String(dry.files_freed), String(dry.files_freed)]);
    expect(fs.existsSync(runDir(VERIFIED))).toBe(false);
    await page.locator('#clear-close').click();
    await rowOf(page, VERIFIED).waitFor({ state: 'detached' });
  });

  it('shows the refusal, code and files, of a run that changed since the page was loaded, and deletes nothing', async () => {
    const { page } = await panel.open();
    await rowOf(page, RECENT).waitFor();
    fs.writeFileSync(path.join(runDir(RECENT), 'late_note.txt'), 'written after the NAS copy was verified\n');
    const before = snapshotTree(runDir(RECENT));
    await rowOf(page, RECENT).getByRole('button', { name: 'Clear' }).click();
    const refusal = page.locator('#clear-body .refusal[data-code="unsynced_files"]');
    await refusal.waitFor();
    expect(await refusal.locator('.code').textContent()).toBe('unsynced_files');
    expect(await refusal.textContent()).toContain('never reached the NAS');
    expect(await refusal.locator('.paths li').allTextContents()).toEqual(['late_note.txt']);
    expect(await page.locator('#clear-confirm').isHidden()).toBe(true);
    expect(snapshotTree(runDir(RECENT))).toEqual(before);
    await page.locator('#clear-close').click();
  });

  it('clears every verified run after one confirmation that gives their count and total size, and keeps the refused ones', async () => {
    const { page } = await panel.open();
    await rowOf(page, RECENT).waitFor();
    const dry = await panel.api<{ results: Array<{ run_path: string; bytes_freed?: number; error?: unknown }> }>(
      '/api/v1/staging/clear?dry_run=true',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"all_verified":true}' },
    );
    const going = dry.results.filter((result) => !result.error);
    const bytes = going.reduce((sum, run) => sum + (run.bytes_freed ?? 0), 0);
    expect(going.length).toBeGreaterThanOrEqual(3);
    await page.locator('#clear-verified').click();
    await page.locator('#clear-confirm').waitFor();
    expect(await page.locator('#clear-body .total').textContent()).toBe(`${plural(going.length, 'run')}, ${formatBytes(bytes)}`);
    const refused = await page.locator('#clear-body .failure .run').allTextContents();
    expect(refused.sort()).toEqual([UNSYNCED, RECENT].sort());
    await page.locator('#clear-confirm').click();
    const outcome = page.locator('#clear-body .outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain(`Done, some runs kept: ${plural(going.length, 'run')} cleared`);
    expect((await page.locator('#clear-body .failures .failure .run').allTextContents()).sort()).toEqual(refused.sort());
    for (const run of going) expect(fs.existsSync(runDir(run.run_path)), run.run_path).toBe(false);
    expect(fs.existsSync(runDir(UNSYNCED))).toBe(true);
    await page.locator('#clear-close').click();
    for (const run of going) await rowOf(page, run.run_path).waitFor({ state: 'detached' });
  });

  it('shows the journal of clears, newest first', async () => {
    const { page } = await panel.open();
    await page.locator('#show-journal').click();
    const { clears } = await panel.api<{ clears: Array<{ run_path: string }> }>('/api/v1/staging/clears');
    await page.locator('#journal-body tr').first().waitFor();
    const shown = await page.locator('#journal-body tr td:nth-child(2)').allTextContents();
    expect(shown).toEqual(clears.map((record) => record.run_path));
    expect(shown).toContain(VERIFIED);
    expect(await page.locator('#runs-view').isHidden()).toBe(true);
  });
});

// Keeps every text the progress line takes, and whether the job was shown
// as ended at that moment.
async function recordProgress(page: Page): Promise<void> {
  await page.locator('#clear-progress-text').evaluate((line) => {
    const seen: Array<{ text: string; ended: boolean }> = [];
    (line as unknown as { progressSeen: typeof seen }).progressSeen = seen;
    const view = line.ownerDocument.defaultView!;
    new view.MutationObserver(() =>
      seen.push({ text: line.textContent ?? '', ended: line.ownerDocument.querySelector('#clear-body .outcome') !== null }),
    ).observe(line, { childList: true, characterData: true, subtree: true });
  });
}
