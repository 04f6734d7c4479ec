// npm run demo [-- DIR]: fills ./staging (or DIR) with sample runs in every
// lifecycle state, in the Wizard's own format, so that a newcomer can try the
// service on a fresh clone. It (re)creates its own runs and leaves the rest.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'staging');
const now = Date.now();
const HOUR = 3_600_000;
const at = (hoursAgo: number): string => `${new Date(now - hoursAgo * HOUR).toISOString().slice(0, 19)}Z`;

type State = 'staging' | 'complete' | 'sync_queued' | 'sync_verified' | 'cleared';
const STATES: State[] = ['staging', 'complete', 'sync_queued', 'sync_verified', 'cleared'];

interface DemoRun {
  runPath: string;
  state: State;
  // Hours ago of the first history entry; later entries follow it.
  startedHoursAgo: number;
  files: number;
  schemaVersion?: string;
  extra?: Record<string, unknown>;
  // A file written after verification, which never reached the NAS.
  lateFile?: string;
}

const RUNS: DemoRun[] = [
  { runPath: 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32', state: 'sync_verified', startedHoursAgo: 52, files: 12 },
  { runPath: 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-18T10-05', state: 'sync_verified', startedHoursAgo: 4, files: 8 },
  { runPath: 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-19T08-40', state: 'complete', startedHoursAgo: 2, files: 6 },
  { runPath: 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-19T11-20', state: 'staging', startedHoursAgo: 0.5, files: 3 },
  { runPath: 'CONFOCAL_01/PROJ-0042/TestRuns/TestRun_2026-04-17T09-12', state: 'sync_queued', startedHoursAgo: 30, files: 4 },
  {
    runPath: 'TECAN_02/PROJ-0007/Run_2025-11-02T08-00',
    state: 'sync_verified',
    startedHoursAgo: 400,
    files: 5,
    schemaVersion: '1.0',
    extra: { operator_note: 'kept by every writer: a field this reader does not know' },
  },
  { runPath: 'TECAN_02/PROJ-0007/Runs/Run_2026-03-01T12-00', state: 'cleared', startedHoursAgo: 200, files: 4 },
  {
    runPath: 'MICRO_03/PROJ-0100/Runs/Run_2026-04-18T16-00',
    state: 'sync_verified',
    startedHoursAgo: 40,
    files: 6,
    lateFile: 'late_export.csv',
  },
];

function historyOf(run: DemoRun): Array<Record<string, unknown>> {
  return STATES.slice(0, STATES.indexOf(run.state) + 1).map((state, index) => {
    const entry: Record<string, unknown> = { state, at: at(run.startedHoursAgo - index * 0.25), host: 'labpc-04' };
    if (state === 'complete') Object.assign(entry, { files_received: run.files });
    if (state === 'sync_verified') {
      Object.assign(entry, { nas_path: `//nas01/lab/${run.runPath}`, checksum_file: '.exlab-wizard/checksums.sha256' });
    }
    return entry;
  });
}

function writeRun(run: DemoRun): void {
  const dir = path.join(root, run.runPath);
  fs.rmSync(dir, { recursive: true, force: true });
  const meta = path.join(dir, '.exlab-wizard');
  fs.mkdirSync(meta, { recursive: true });
  fs.mkdirSync(path.join(dir, 'images'));
  const history = historyOf(run);
  const dataTime = new Date(now - run.startedHoursAgo * HOUR);
  const manifest: string[] = [];
  for (let index = 0; index < run.files; index += 1) {
    const relative = index % 2 === 0 ? `images/frame_${String(index).padStart(4, '0')}.tif` : `frame_${index}.raw`;
    const content = Buffer.alloc(4096 + index * 512, index);
    fs.writeFileSync(path.join(dir, relative), content);
    fs.utimesSync(path.join(dir, relative), dataTime, dataTime);
    manifest.push(`${createHash('sha256').update(content).digest('hex')}  ${relative}`);
  }
  if (history.some((entry) => entry.state === 'sync_verified')) {
    fs.writeFileSync(path.join(meta, 'checksums.sha256'), `${manifest.sort(byPath).join('\n')}\n`);
  }
  if (run.lateFile) fs.writeFileSync(path.join(dir, run.lateFile), 'written after the NAS copy was verified\n');
  fs.writeFileSync(path.join(meta, 'creation.json'), `${JSON.stringify({ run_path: run.runPath, created_at: history[0]?.at }, null, 2)}\n`);
  fs.writeFileSync(path.join(meta, 'wizard.labpc-04.log'), `${history[0]?.at} run created\n`);
  const ingest = {
    schema_version: run.schemaVersion ?? '1.1',
    project_name: run.runPath.startsWith('TECAN') ? 'Legacy Import' : 'Cortex Q3 Pilot',
    equipment_id: run.runPath.split('/')[0],
    run_kind: run.runPath.includes('/TestRuns/') ? 'test' : 'experimental',
    run_path: run.runPath,
    transport: 'smb_mount',
    current_state: run.state,
    ...run.extra,
    history,
  };
  fs.writeFileSync(path.join(meta, 'ingest.json'), `${JSON.stringify(ingest, null, 2)}\n`);
}

function byPath(a: string, b: string): number {
  return a.slice(66).localeCompare(b.slice(66));
}

function writeBrokenRun(): void {
  const runPath = 'TECAN_02/PROJ-0007/Runs/Run_2026-03-02T12-00';
  const meta = path.join(root, runPath, '.exlab-wizard');
  fs.rmSync(path.join(root, runPath), { recursive: true, force: true });
  fs.mkdirSync(meta, { recursive: true });
  fs.writeFileSync(path.join(meta, 'ingest.json'), `${JSON.stringify({ schema_version: '2.0', run_path: runPath }, null, 2)}\n`);
}

fs.mkdirSync(root, { recursive: true });
for (const run of RUNS) writeRun(run);
writeBrokenRun();
console.log(`Wrote ${RUNS.length + 1} sample runs under ${root}:`);
for (const run of RUNS) console.log(`  ${run.state.padEnd(13)} ${run.runPath}${run.lateFile ? ' (with a file written after verification)' : ''}`);
console.log('  schema 2.0    TECAN_02/PROJ-0007/Runs/Run_2026-03-02T12-00 (listed under problems)');
