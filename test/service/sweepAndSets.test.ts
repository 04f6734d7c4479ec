import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/service/answers.ts';
import { createHarness, journalLines } from '../helpers/serviceHarness.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';

function byRun(results: RunResult[]): Record<string, string> {
  return Object.fromEntries(
    results.map((result) => [result.run_path, 'outcome' in result ? result.outcome : result.error.code]),
  );
}

// A staging tree with one run in each interesting position (clock: 2026-04-20T12:00Z).
function seed(root: string): void {
  makeRun(root, 'EQ/P/Runs/Run_due', { verifiedAt: '2026-04-18T00:00:00Z' });
  makeRun(root, 'EQ/P/Runs/Run_boundary', { verifiedAt: '2026-04-19T12:00:00Z' });
  makeRun(root, 'EQ/P/Runs/Run_recent', { verifiedAt: '2026-04-20T06:00:00Z' });
  makeRun(root, 'EQ/P/Runs/Run_no_time', { verifiedAt: 'unknown' });
  makeRun(root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
  makeRun(root, 'EQ/P/TestRuns/TestRun_interrupted', { state: 'cleared' });
}

describe('sweep', () => {
  it('clears nothing in manual mode', async () => {
    const { root, service } = createHarness({ policy: { mode: 'manual' } });
    seed(root);
    const before = snapshotTree(root);
    expect(await service.clears.sweep({ actor: 'sweeper' })).toEqual([]);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('in scheduled mode clears only auto-eligible runs (boundary included), finishes interrupted clears and names a run whose time cannot be read', async () => {
    const harness = createHarness({ policy: { mode: 'scheduled', retainHours: 24 } });
    seed(harness.root);
    const results = await harness.service.clears.sweep({ actor: 'sweeper' });
    expect(byRun(results)).toEqual({
      'EQ/P/Runs/Run_due': 'cleared',
      'EQ/P/Runs/Run_boundary': 'cleared',
      'EQ/P/Runs/Run_no_time': 'verified_time_unparsable',
      'EQ/P/TestRuns/TestRun_interrupted': 'cleared',
    });
    const remaining = fs.readdirSync(path.join(harness.root, 'EQ/P/Runs')).sort();
    expect(remaining).toEqual(['Run_no_time', 'Run_queued', 'Run_recent']);
    expect(journalLines(harness).map((r) => r.actor)).toEqual(['sweeper', 'sweeper', 'sweeper']);
  });

  it('deletes nothing on a dry run and says what would go', async () => {
    const harness = createHarness({ policy: { mode: 'scheduled' } });
    seed(harness.root);
    const before = snapshotTree(harness.root);
    const results = await harness.service.clears.sweep({ actor: 'sweeper', dryRun: true });
    expect(Object.values(byRun(results)).sort()).toEqual(['verified_time_unparsable', 'would_clear', 'would_clear', 'would_clear']);
    expect(snapshotTree(harness.root)).toEqual(before);
    expect(journalLines(harness)).toEqual([]);
  });

  it('refuses a second sweep while one runs', async () => {
    const { root, service } = createHarness({ policy: { mode: 'scheduled' } });
    seed(root);
    const first = service.clears.sweep({ actor: 'sweeper' });
    await expect(service.clears.sweep({ actor: 'sweeper' })).rejects.toMatchObject({ code: 'sweep_in_progress' });
    await first;
  });
});

describe('clearing a set', () => {
  it('answers one result per run: cleared, or the refusal with its code', async () => {
    const harness = createHarness();
    seed(harness.root);
    const results = await harness.service.clears.clearSet(
      {
        run_paths: [
          'EQ/P/Runs/Run_recent',
          'EQ/P/Runs/Run_queued',
          'EQ/P/Runs/Run_missing',
          '../etc',
          'EQ/P/Runs/Run_recent',
        ],
      },
      { actor: 'alice' },
    );
    expect(results.map((r) => [r.run_path, 'outcome' in r ? r.outcome : r.error.code])).toEqual([
      ['EQ/P/Runs/Run_recent', 'cleared'],
      ['EQ/P/Runs/Run_queued', 'staging_not_sync_verified'],
      ['EQ/P/Runs/Run_missing', 'run_not_found'],
      ['../etc', 'invalid_run_path'],
    ]);
    expect(fs.existsSync(path.join(harness.root, 'EQ/P/Runs/Run_queued'))).toBe(true);
  });

  it('clears every verified run, and interrupted ones, with all_verified, whatever the mode, and keeps one whose time cannot be read', async () => {
    const { root, service } = createHarness({ policy: { mode: 'manual' } });
    seed(root);
    const results = await service.clears.clearSet({ all_verified: true }, { actor: 'alice' });
    expect(byRun(results)).toEqual({
      'EQ/P/Runs/Run_boundary': 'cleared',
      'EQ/P/Runs/Run_due': 'cleared',
      'EQ/P/Runs/Run_no_time': 'verified_time_unparsable',
      'EQ/P/Runs/Run_recent': 'cleared',
      'EQ/P/TestRuns/TestRun_interrupted': 'cleared',
    });
    expect(fs.readdirSync(path.join(root, 'EQ/P/Runs')).sort()).toEqual(['Run_no_time', 'Run_queued']);
  });

  it('deletes nothing on a dry run of a set', async () => {
    const { root, service } = createHarness();
    seed(root);
    const before = snapshotTree(root);
    const results = await service.clears.clearSet({ all_verified: true }, { actor: 'alice', dryRun: true });
    expect(Object.entries(byRun(results)).filter(([, outcome]) => outcome !== 'would_clear')).toEqual([
      ['EQ/P/Runs/Run_no_time', 'verified_time_unparsable'],
    ]);
    expect(snapshotTree(root)).toEqual(before);
  });
});

describe('the journal', () => {
  it('lists clears newest first, since a time, up to a limit', async () => {
    const harness = createHarness();
    seed(harness.root);
    for (const [run, at] of [
      ['EQ/P/Runs/Run_due', '2026-04-20T12:00:00Z'],
      ['EQ/P/Runs/Run_boundary', '2026-04-20T13:00:00Z'],
      ['EQ/P/Runs/Run_recent', '2026-04-20T14:00:00Z'],
    ] as const) {
      harness.now.value = new Date(at);
      await harness.service.clearer.clear(run, { actor: 'alice' });
    }
    const all = await harness.service.runs.listClears();
    expect(all.map((r) => r.run_path)).toEqual(['EQ/P/Runs/Run_recent', 'EQ/P/Runs/Run_boundary', 'EQ/P/Runs/Run_due']);
    const since = await harness.service.runs.listClears({ since: new Date('2026-04-20T13:00:00Z') });
    expect(since).toHaveLength(2);
    expect(await harness.service.runs.listClears({ limit: 1 })).toHaveLength(1);
  });
});

describe('health', () => {
  it('is ready when the staging root is readable and the journal writable, and says which check fails', async () => {
    const { root, service } = createHarness();
    expect(await service.health()).toMatchObject({
      ready: true,
      checks: { staging_root: { ok: true }, journal: { ok: true } },
    });
    fs.rmSync(root, { recursive: true });
    expect(await service.health({ fresh: true })).toMatchObject({
      ready: false,
      checks: { staging_root: { ok: false, message: expect.stringContaining('ENOENT') }, journal: { ok: true } },
    });
  });
});
