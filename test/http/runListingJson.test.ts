// The listing's body is written from text kept per row: it must be what
// JSON.stringify writes of the listing, whatever a row's strings hold (the
// key it splits at, quotes, escapes), and follow a row's elapsed seconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runListingJson } from '../../src/http/runListingJson.ts';
import type { RunListing } from '../../src/service/answers.ts';

const rowOf = (runPath: string, project: string, elapsed: number) =>
  ({
    path: `/srv/staging/${runPath}`,
    run_path: runPath,
    current_state: 'sync_verified',
    equipment_id: 'EQ',
    project_name: project,
    elapsed_seconds_since_last_activity: elapsed,
    last_activity_at: '2026-04-17T16:18:43Z',
    clearable: true,
    reason: 'manual_mode',
  }) as unknown as RunListing['runs'][number];

describe('runListingJson', () => {
  it('writes what JSON.stringify writes, for any strings in the rows, even the key it splits at', () => {
    const tricky = fc.oneof(fc.string(), fc.constant('"elapsed_seconds_since_last_activity":0'), fc.constant('\\",\\"elapsed_seconds_since_last_activity\\":0'));
    fc.assert(
      fc.property(fc.array(fc.tuple(tricky, tricky, fc.nat()), { maxLength: 20 }), (specs) => {
        const listing = { runs: specs.map(([runPath, project, elapsed]) => rowOf(runPath, project, elapsed)), problems: [{ code: 'x', message: 'y' }] };
        expect(runListingJson(listing as unknown as RunListing)).toBe(JSON.stringify(listing));
      }),
    );
  });

  it('writes a kept row with the elapsed seconds it has now, not those it had when first written', () => {
    const row = rowOf('EQ/P/Runs/Run_1', 'P', 5);
    const listing = { runs: [row], problems: [] } as unknown as RunListing;
    runListingJson(listing);
    row.elapsed_seconds_since_last_activity = 65;
    expect(JSON.parse(runListingJson(listing)).runs[0].elapsed_seconds_since_last_activity).toBe(65);
  });
});
