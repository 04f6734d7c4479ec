// Builds real staging trees in temporary folders, in the Wizard's format.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LifecycleState } from '../../src/domain/lifecycle.ts';

export const EXAMPLES_DIR = path.join(import.meta.dirname, '..', 'fixtures', 'examples');

export function readExample(name: string): string {
  return fs.readFileSync(path.join(EXAMPLES_DIR, name), 'utf8');
}

export function makeTempDir(prefix = 'staging-cleanup-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export interface RunSpec {
  state?: LifecycleState;
  // Time of the sync_verified entry (when the state reached it).
  verifiedAt?: string | null;
  // Relative data paths and their contents.
  files?: Record<string, string>;
  runKind?: 'experimental' | 'test';
  extraIngest?: Record<string, unknown>;
  // Whether a verified run gets its checksum manifest (default: yes).
  manifest?: boolean;
}

// When the staged files were written in these fixtures: before verification,
// as on a real orchestrator.
export const FILES_WRITTEN_AT = new Date('2026-04-17T14:35:00Z');

const STATES: LifecycleState[] = ['staging', 'complete', 'sync_queued', 'sync_verified', 'cleared'];

export function ingestFor(runPath: string, spec: RunSpec = {}): Record<string, unknown> {
  const state = spec.state ?? 'sync_verified';
  const [equipment, project] = runPath.split('/');
  const reached = STATES.slice(0, STATES.indexOf(state) + 1);
  const history = reached.map((item) => {
    const entry: Record<string, unknown> = { state: item, at: '2026-04-17T14:35:00Z', host: 'labpc-04' };
    if (item === 'sync_verified') {
      if (spec.verifiedAt === null) delete entry.at;
      else entry.at = spec.verifiedAt ?? '2026-04-17T16:18:43Z';
      entry.nas_path = `//nas01/lab/${runPath}`;
      entry.checksum_file = '.exlab-wizard/checksums.sha256';
    }
    if (item === 'cleared') entry.at = '2026-04-18T16:18:43Z';
    return entry;
  });
  return {
    schema_version: '1.1',
    project_name: `Project ${project}`,
    equipment_id: equipment,
    run_kind: spec.runKind ?? (runPath.includes('/TestRuns/') ? 'test' : 'experimental'),
    run_path: runPath,
    transport: 'smb_mount',
    current_state: state,
    history,
    ...spec.extraIngest,
  };
}

export const DEFAULT_FILES: Record<string, string> = {
  'image_0001.tif': 'a'.repeat(100),
  'image_0002.tif': 'b'.repeat(250),
  'metadata/acquisition.xml': '<acq/>',
};

// Writes a run leaf with its .exlab-wizard folder and data files; a verified
// run's files predate verification and are listed in its manifest.
export function makeRun(root: string, runPath: string, spec: RunSpec = {}): string {
  const runDir = path.join(root, runPath);
  writeFiles(runDir, spec.files ?? DEFAULT_FILES);
  const ingest = ingestFor(runPath, spec);
  writeIngest(runDir, ingest);
  fs.writeFileSync(path.join(runDir, '.exlab-wizard', 'creation.json'), '{"created_by":"wizard"}\n');
  const verified = (ingest.history as Array<{ state: string }>).some((entry) => entry.state === 'sync_verified');
  if (verified) sealRun(runDir, { manifest: spec.manifest ?? true });
  return runDir;
}

// Makes the run look synced, as on an orchestrator: staged files (and the
// folders) written before verification and, unless asked otherwise, listed
// in .exlab-wizard/checksums.sha256.
export function sealRun(runDir: string, options: { manifest?: boolean; writtenAt?: Date } = {}): void {
  const writtenAt = options.writtenAt ?? FILES_WRITTEN_AT;
  const lines: string[] = [];
  const folders: string[] = [];
  for (const relative of listTree(runDir)) {
    if (relative === '.exlab-wizard' || relative.startsWith('.exlab-wizard/')) continue;
    const full = path.join(runDir, relative);
    const stat = fs.lstatSync(full);
    if (stat.isDirectory()) {
      folders.push(full);
      continue;
    }
    const content = stat.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full);
    lines.push(`${createHash('sha256').update(content).digest('hex')}  ${relative}`);
    fs.lutimesSync(full, writtenAt, writtenAt);
  }
  const manifest = path.join(runDir, '.exlab-wizard', 'checksums.sha256');
  if (options.manifest === false) fs.rmSync(manifest, { force: true });
  else fs.writeFileSync(manifest, lines.sort().map((line) => `${line}\n`).join(''));
  for (const folder of [...folders, runDir]) fs.utimesSync(folder, writtenAt, writtenAt);
}

// The orchestrator verifying the run again: a new sync_verified entry at `at`.
export function reverifyRun(runDir: string, at: string): void {
  const ingest = JSON.parse(fs.readFileSync(path.join(runDir, '.exlab-wizard', 'ingest.json'), 'utf8')) as {
    history: Array<Record<string, unknown>>;
  };
  const verification = ingest.history.findLast((entry) => entry.state === 'sync_verified');
  ingest.history.push({ ...verification, at });
  writeIngest(runDir, ingest);
}

export function writeIngest(runDir: string, ingest: unknown): void {
  fs.mkdirSync(path.join(runDir, '.exlab-wizard'), { recursive: true });
  const text = typeof ingest === 'string' ? ingest : `${JSON.stringify(ingest, null, 2)}\n`;
  fs.writeFileSync(path.join(runDir, '.exlab-wizard', 'ingest.json'), text);
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

export function readIngestJson(runDir: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(runDir, '.exlab-wizard', 'ingest.json'), 'utf8'));
}

// Every path below dir (files, links and folders), sorted, without following links.
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

// A snapshot of every entry's type and content, to prove nothing changed.
export function snapshotTree(dir: string): Record<string, string> {
  const snapshot: Record<string, string> = {};
  for (const relative of listTree(dir)) {
    const full = path.join(dir, relative);
    const stat = fs.lstatSync(full);
    snapshot[relative] = stat.isSymbolicLink()
      ? `link:${fs.readlinkSync(full)}`
      : stat.isDirectory()
        ? 'dir'
        : `file:${fs.readFileSync(full, 'base64')}`;
  }
  return snapshot;
}

// Files and bytes (lstat) of every non-directory entry below dir.
export function treeTotals(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const relative of listTree(dir)) {
    const stat = fs.lstatSync(path.join(dir, relative));
    if (!stat.isDirectory()) {
      files += 1;
      bytes += stat.size;
    }
  }
  return { files, bytes };
}

export function countFiles(files: Record<string, string>): { files: number; bytes: number } {
  const values = Object.values(files);
  return { files: values.length, bytes: values.reduce((sum, text) => sum + Buffer.byteLength(text), 0) };
}
