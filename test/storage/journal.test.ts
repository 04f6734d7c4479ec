import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClearRecord } from '../../src/domain/clearRecord.ts';
import { createJournal, journalFileName, type Journal } from '../../src/storage/journal.ts';
import { setImmutable } from '../helpers/faults.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';
import { itAsRoot } from '../helpers/root.ts';

let dir: string;
beforeEach(() => {
  dir = path.join(makeTempDir(), 'journal');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

function record(runPath: string, clearedAt: string, host = 'a'): ClearRecord {
  return {
    run_path: runPath,
    equipment_id: 'EQ',
    project_name: 'P',
    run_kind: 'experimental',
    nas_path: null,
    verified_at: null,
    cleared_at: clearedAt,
    host,
    actor: 'test',
    files_freed: 1,
    bytes_freed: 10,
    duration_ms: 5,
    outcome: 'cleared',
    resumed: false,
  };
}

async function runsOf(journal: Journal): Promise<string[]> {
  return (await journal.recent({ limit: 100 })).map((item) => item.run_path);
}

async function append(hostLabel: string, ...records: ClearRecord[]): Promise<void> {
  const writer = await createJournal(dir, hostLabel).openWriter();
  for (const item of records) await writer.append(item);
  await writer.close();
}

describe('journal', () => {
  it('creates its folder and writes one JSON line per record to the host file', async () => {
    await append('orch-1', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'));
    const text = fs.readFileSync(path.join(dir, 'clears.orch-1.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(2);
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ run_path: 'EQ/P/Run_1' });
  });

  it('keeps host labels to safe file names', () => {
    expect(journalFileName('orch 1/../x')).toBe('clears.orch_1_.._x.jsonl');
  });

  it('merges every host file, newest first, keeping the order of records made in the same second', async () => {
    await append('a', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'), record('EQ/P/Run_3', '2026-04-20T12:00:00Z'));
    await append('b', record('EQ/P/Run_2', '2026-04-20T12:00:05Z', 'b'));
    const runs = (await createJournal(dir, 'a').recent({ limit: 10 })).map((item) => item.run_path);
    expect(runs).toEqual(['EQ/P/Run_2', 'EQ/P/Run_3', 'EQ/P/Run_1']);
  });

  it('skips a torn last line, and writes the next record on a line of its own', async () => {
    await append('a', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'));
    fs.appendFileSync(path.join(dir, 'clears.a.jsonl'), '{"run_path":"EQ/P/Run_2","cleared_');
    const journal = createJournal(dir, 'a');
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_1']);
    await append('a', record('EQ/P/Run_9', '2026-04-21T00:00:00Z'));
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_9', 'EQ/P/Run_1']);
    expect(await runsOf(createJournal(dir, 'a'))).toEqual(['EQ/P/Run_9', 'EQ/P/Run_1']);
  });

  it('finds the latest record of a run', async () => {
    await append('a', { ...record('EQ/P/Run_1', '2026-04-20T12:00:00Z'), outcome: 'clear_incomplete' });
    await append('a', record('EQ/P/Run_1', '2026-04-20T13:00:00Z'));
    const journal = createJournal(dir, 'a');
    expect(await journal.latestFor('EQ/P/Run_1')).toMatchObject({ outcome: 'cleared' });
    expect(await journal.latestFor('EQ/P/Run_2')).toBeNull();
  });

  it('reads an empty journal when the folder does not exist yet', async () => {
    expect(await createJournal(dir, 'a').recent({ limit: 10 })).toEqual([]);
  });

  it('finds what another replica appended after the index was built', async () => {
    await append('a', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'));
    const journal = createJournal(dir, 'a');
    expect(await journal.latestFor('EQ/P/Run_2')).toBeNull();
    await append('b', record('EQ/P/Run_2', '2026-04-20T12:00:05Z', 'b'));
    await append('a', record('EQ/P/Run_3', '2026-04-20T12:00:09Z'));
    expect(await journal.latestFor('EQ/P/Run_2')).toMatchObject({ host: 'b' });
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_3', 'EQ/P/Run_2', 'EQ/P/Run_1']);
  });

  it('reads only what was appended since its last look; a new index reads everything', async () => {
    const file = path.join(dir, 'clears.b.jsonl');
    await append('a', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'));
    // A line that is not a record, later overwritten in place with one of the
    // same length: only a reader that went back over indexed bytes would see it.
    const late = `${JSON.stringify(record('EQ/P/Run_2', '2026-04-20T12:00:05Z', 'b'))}\n`;
    fs.writeFileSync(file, `${'x'.repeat(late.length - 1)}\n`);
    const journal = createJournal(dir, 'a');
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_1']);
    fs.writeFileSync(file, late, { flag: 'r+' });
    await append('b', record('EQ/P/Run_3', '2026-04-20T12:00:09Z', 'b'));
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_3', 'EQ/P/Run_1']);
    expect(await runsOf(createJournal(dir, 'a'))).toEqual(['EQ/P/Run_3', 'EQ/P/Run_2', 'EQ/P/Run_1']);
  });

  it('indexes a file again from its start when it was replaced or cut shorter', async () => {
    await append('b', record('EQ/P/Run_1', '2026-04-20T12:00:00Z', 'b'), record('EQ/P/Run_2', '2026-04-20T12:00:01Z', 'b'));
    const journal = createJournal(dir, 'a');
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_2', 'EQ/P/Run_1']);
    fs.writeFileSync(path.join(dir, 'clears.b.jsonl'), `${JSON.stringify(record('EQ/P/Run_7', '2026-04-20T12:00:07Z', 'b'))}\n`);
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_7']);
    expect(await journal.latestFor('EQ/P/Run_1')).toBeNull();
  });

  it('refuses with journal_unavailable naming a folder that stands where a journal file would', async () => {
    await append('a', record('EQ/P/Run_1', '2026-04-20T12:00:00Z'));
    fs.mkdirSync(path.join(dir, 'clears.replica2.jsonl'));
    const journal = createJournal(dir, 'a');
    const refusal = { code: 'journal_unavailable', message: expect.stringContaining('clears.replica2.jsonl is a directory') };
    await expect(journal.update()).rejects.toMatchObject(refusal);
    await expect(journal.latestFor('EQ/P/Run_1')).rejects.toMatchObject(refusal);
    await expect(journal.recent({ limit: 10 })).rejects.toMatchObject(refusal);
    fs.rmdirSync(path.join(dir, 'clears.replica2.jsonl'));
    expect(await runsOf(journal)).toEqual(['EQ/P/Run_1']);
  });

  itAsRoot('refuses to open for writing with journal_unavailable when the file cannot be written', async () => {
    await append('a');
    const file = path.join(dir, 'clears.a.jsonl');
    setImmutable(file, true);
    try {
      await expect(createJournal(dir, 'a').openWriter()).rejects.toMatchObject({ code: 'journal_unavailable' });
    } finally {
      setImmutable(file, false);
    }
  });
});
