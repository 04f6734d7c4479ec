// The journal kept for years: past journal.rotate_kib this host's file is set
// aside, only journal.keep_rotated set-aside files are kept, and the listing
// of clears pages through exactly what is kept.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClearRecord } from '../../src/domain/clearRecord.ts';
import { createAppHarness } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const HOST_FILE = 'clears.test-host.jsonl';

function record(runPath: string, clearedAt: string): ClearRecord {
  return {
    run_path: runPath,
    equipment_id: 'EQ',
    project_name: 'Project OLD',
    run_kind: 'experimental',
    nas_path: `//nas01/lab/${runPath}`,
    verified_at: '2026-01-01T00:00:00Z',
    cleared_at: clearedAt,
    host: 'test-host',
    actor: 'local',
    files_freed: 3,
    bytes_freed: 300,
    duration_ms: 5,
    outcome: 'cleared',
    resumed: false,
  };
}

// `count` records of runs `<prefix>_<n>`, one second apart from `start`.
function writeRecords(file: string, prefix: string, start: string, count: number): string[] {
  const runPaths = Array.from({ length: count }, (_, n) => `EQ/OLD/Runs/${prefix}_${String(n).padStart(4, '0')}`);
  const lines = runPaths.map((runPath, n) =>
    JSON.stringify(record(runPath, new Date(Date.parse(start) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'))),
  );
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return runPaths;
}

describe('journal retention', () => {
  it('sets a journal file past journal.rotate_kib aside, deletes set-aside files beyond journal.keep_rotated, and pages through the rest', async () => {
    const h = await createAppHarness({
      env: { STAGING_CLEANUP_JOURNAL_ROTATE_KIB: '64', STAGING_CLEANUP_JOURNAL_KEEP_ROTATED: '2' },
    });
    fs.mkdirSync(h.journalDir);
    const oldest = writeRecords(path.join(h.journalDir, 'clears.test-host~20260101T000000000Z.jsonl'), 'Run_a', '2026-01-01T00:00:00Z', 150);
    const older = writeRecords(path.join(h.journalDir, 'clears.test-host~20260201T000000000Z.jsonl'), 'Run_b', '2026-02-01T00:00:00Z', 150);
    // Past 64 KiB: the next clear sets it aside first.
    const live = writeRecords(path.join(h.journalDir, HOST_FILE), 'Run_c', '2026-03-01T00:00:00Z', 200);
    expect(fs.statSync(path.join(h.journalDir, HOST_FILE)).size).toBeGreaterThan(64 * 1024);
    // Indexed before the rotation: the index must follow it.
    expect((await h.http().get('/api/v1/staging/clears?limit=1').expect(200)).body.clears[0].run_path).toBe(live.at(-1));

    makeRun(h.root, 'EQ/P/Runs/Run_new');
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_new/clear').expect(200);

    const files = fs.readdirSync(h.journalDir).filter((name) => name.startsWith('clears.')).sort();
    expect(files).toEqual([HOST_FILE, 'clears.test-host~20260201T000000000Z.jsonl', 'clears.test-host~20260420T120000000Z.jsonl']);
    expect(fs.readFileSync(path.join(h.journalDir, HOST_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(h.logs.some((line) => line.msg === 'journal file set aside; the oldest set-aside files beyond the kept number deleted')).toBe(true);

    const paged: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: { clears: ClearRecord[]; next_offset: number | null } = (await h.http().get('/api/v1/staging/clears').query({ limit: 100, offset }).expect(200)).body;
      paged.push(...page.clears.map((each: ClearRecord) => each.run_path));
      offset = page.next_offset;
    }
    expect(paged).toEqual(['EQ/P/Runs/Run_new', ...[...live].reverse(), ...[...older].reverse()]);

    // A run whose record is kept is still answered from the journal; one whose record went with its file is not known.
    const kept = (await h.http().post(`/api/v1/staging/${older[0]}/clear`).expect(200)).body;
    expect(kept).toMatchObject({ outcome: 'already_cleared' });
    await h.http().post(`/api/v1/staging/${oldest[0]}/clear`).expect(404);
  });
});
