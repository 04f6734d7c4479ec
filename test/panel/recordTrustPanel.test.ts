// The panel shows a run whose record cannot be believed as such, in a real
// headless Chromium: a state that its history contradicts is marked, the
// reason is in words, and neither run offers a Clear button.
import { expect, it } from 'vitest';
import { describeWithBrowser } from '../helpers/browser.ts';
import { cellsOf, rowOf, servedPanel } from '../helpers/panelHarness.ts';
import { makeRun, readIngestJson, writeIngest } from '../helpers/stagingTree.ts';

const FUTURE = 'EQ/P/Runs/Run_future';
const REOPENED = 'EQ/P/Runs/Run_reopened';
const FINE = 'EQ/P/Runs/Run_fine';

describeWithBrowser('runs whose ingest.json cannot be believed, in the panel', () => {
  const panel = servedPanel({}, (staging) => {
    makeRun(staging, FINE);
    makeRun(staging, FUTURE, { verifiedAt: '2099-01-01T00:00:00Z' });
    const reopened = makeRun(staging, REOPENED);
    const ingest = readIngestJson(reopened);
    (ingest.history as unknown[]).push({ state: 'staging', at: '2026-04-19T08:00:00Z', host: 'labpc-04' });
    writeIngest(reopened, ingest);
  });

  it('marks a state its history contradicts, says why in words, and offers no Clear for either run', async () => {
    const { page } = await panel.open();
    await rowOf(page, REOPENED).waitFor();
    const reopened = await cellsOf(page, REOPENED);
    expect(reopened[0]).toBe('sync verified ≠ history');
    expect(reopened.slice(-2)).toEqual(['ingest.json contradicts itself: fix the record', '']);
    const future = await cellsOf(page, FUTURE);
    expect(future.at(-3)).toMatch(/^in \d+ d/);
    expect(future.slice(-2)).toEqual(['Verified "in the future": check the clocks', '']);
    expect((await cellsOf(page, FINE)).slice(-2)).toEqual(['Verified; clears are manual', 'Clear']);
    expect(await rowOf(page, REOPENED).locator('.mismatch').getAttribute('title')).toContain('disagrees with its history');
  });
});
