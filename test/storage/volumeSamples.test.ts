import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVolumeSamples, MAX_SAMPLES, volumeSamplesFileName } from '../../src/storage/volumeSamples.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sample = (index: number) => ({
  at: new Date(Date.UTC(2026, 3, 20) + index * 300_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  size_bytes: 1000,
  free_bytes: 500 - index,
  avail_bytes: 400 - index,
});

describe('free-space samples in the journal folder', () => {
  it('survive a restart: a new store reads what the last one kept, in one file per host label', async () => {
    const first = createVolumeSamples(dir, 'orch/01');
    for (let index = 0; index < 3; index += 1) await first.add(sample(index));
    expect(path.basename(first.file)).toBe(volumeSamplesFileName('orch/01'));
    expect(volumeSamplesFileName('orch/01')).toBe('volume.orch_01.jsonl');
    expect(await createVolumeSamples(dir, 'orch/01').all()).toEqual([sample(0), sample(1), sample(2)]);
    expect(await createVolumeSamples(dir, 'other').all()).toEqual([]);
  });

  it('keeps samples in memory only until the journal folder exists, never creating it', async () => {
    const journal = path.join(dir, 'journal');
    const store = createVolumeSamples(journal, 'h');
    await store.add(sample(0));
    expect(fs.existsSync(journal)).toBe(false);
    fs.mkdirSync(journal);
    await store.add(sample(1));
    expect(await store.all()).toEqual([sample(0), sample(1)]);
    expect(await createVolumeSamples(journal, 'h').all()).toEqual([sample(1)]);
  });

  it('skips a torn or foreign line and goes on appending after it', async () => {
    const file = path.join(dir, volumeSamplesFileName('h'));
    fs.writeFileSync(file, `${JSON.stringify(sample(0))}\n{"at":"2026-04-20T00:05:00Z","avail_bytes":\nnot json\n`);
    const store = createVolumeSamples(dir, 'h');
    await store.add(sample(2));
    expect(await createVolumeSamples(dir, 'h').all()).toEqual([sample(0), sample(2)]);
  });

  it('stays bounded: past twice the limit the file is rewritten with the newest samples', async () => {
    const store = createVolumeSamples(dir, 'h');
    const total = 2 * MAX_SAMPLES + 1;
    for (let index = 0; index < total; index += 1) await store.add(sample(index));
    const lines = fs.readFileSync(store.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(MAX_SAMPLES);
    expect(JSON.parse(lines.at(-1) as string)).toEqual(sample(total - 1));
    const kept = await createVolumeSamples(dir, 'h').all();
    expect(kept).toHaveLength(MAX_SAMPLES);
    expect(kept[0]).toEqual(sample(total - MAX_SAMPLES));
    expect(fs.readdirSync(dir)).toEqual([volumeSamplesFileName('h')]);
  });
});
