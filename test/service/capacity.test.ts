import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { volumeSamplesFileName } from '../../src/storage/volumeSamples.ts';
import { createHarness } from '../helpers/serviceHarness.ts';

describe('the capacity answer', () => {
  it('states the fill rate from the samples kept in the journal folder (as after a restart) and from those it takes', async () => {
    const harness = createHarness();
    fs.mkdirSync(harness.journalDir, { recursive: true });
    // 2 GiB an hour lost over the last 3 h (the harness's clock is 12:00).
    const GiB = 1024 ** 3;
    const lines = [9, 10, 11, 12].map((hour, index) =>
      JSON.stringify({ at: `2026-04-20T${String(hour).padStart(2, '0')}:00:00Z`, size_bytes: 100 * GiB, free_bytes: 0, avail_bytes: (20 - 2 * index) * GiB }),
    );
    fs.writeFileSync(path.join(harness.journalDir, volumeSamplesFileName('test-host')), `${lines.join('\n')}\n`);

    const { fill } = await harness.service.capacity.answer();
    expect(fill).toMatchObject({ samples: 4, window_hours: 3, bytes_per_hour: 2 * GiB, hours_to_full: 7, message: "at the last 3 h's rate, full in 7 h" });

    // A new sample at the same time as the last: kept, and counted.
    await harness.service.capacity.sample();
    expect((await harness.service.capacity.answer()).fill.samples).toBe(5);
    const kept = fs.readFileSync(path.join(harness.journalDir, volumeSamplesFileName('test-host')), 'utf8').trim().split('\n');
    expect(JSON.parse(kept.at(-1) as string)).toMatchObject({ at: '2026-04-20T12:00:00Z' });
  });
});
