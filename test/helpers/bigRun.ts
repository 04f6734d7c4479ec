// Builds large staged runs fast (benchmarks, crash tests), in the Wizard's
// format: every file listed in the run's manifest and written before its
// sync_verified time (the end of the build, by the real clock, so that no file
// needs its mtime set: a service that clears it must run on the real clock),
// and identical copies for baselines (rm -rf, du -sb).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const CONTENT = Buffer.alloc(100, 'x');
const CONTENT_SHA = createHash('sha256').update(CONTENT).digest('hex');

export interface RunShape {
  folders: number;
  filesPerFolder: number;
  // A folder of the run that holds the frame folders (default: the run itself).
  under?: string;
}

// A sync_verified run of folders × filesPerFolder files of 100 bytes.
export function buildRun(root: string, runPath: string, shape: RunShape): string {
  const runDir = path.join(root, runPath);
  const meta = path.join(runDir, '.exlab-wizard');
  fs.mkdirSync(meta, { recursive: true });
  const manifest = fs.openSync(path.join(meta, 'checksums.sha256'), 'w');
  for (let folder = 0; folder < shape.folders; folder += 1) {
    const name = `${shape.under ? `${shape.under}/` : ''}frames_${String(folder).padStart(4, '0')}`;
    fs.mkdirSync(path.join(runDir, name), { recursive: true });
    const lines: string[] = [];
    for (let file = 0; file < shape.filesPerFolder; file += 1) {
      const relative = `${name}/f_${String(file).padStart(6, '0')}.tif`;
      const full = path.join(runDir, relative);
      fs.writeFileSync(full, CONTENT);
      lines.push(`${CONTENT_SHA}  ${relative}\n`);
    }
    fs.writeSync(manifest, lines.join(''));
  }
  fs.closeSync(manifest);
  // Rounded up: the record keeps whole seconds.
  const verifiedAt = `${new Date(Math.ceil(Date.now() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  const [equipment, project] = runPath.split('/');
  const ingest = {
    schema_version: '1.1',
    project_name: project,
    equipment_id: equipment,
    run_kind: 'experimental',
    run_path: runPath,
    transport: 'smb_mount',
    current_state: 'sync_verified',
    history: [
      { state: 'staging', at: '2026-04-17T14:35:00Z', host: 'bench' },
      { state: 'complete', at: '2026-04-17T16:12:00Z', host: 'bench' },
      { state: 'sync_queued', at: '2026-04-17T16:12:05Z', host: 'bench' },
      { state: 'sync_verified', at: verifiedAt, host: 'bench', nas_path: `//nas01/lab/${runPath}` },
    ],
  };
  fs.writeFileSync(path.join(meta, 'ingest.json'), `${JSON.stringify(ingest, null, 2)}\n`);
  return runDir;
}

// A run of `files` files, in folders of 1000, plus its manifest and ingest.json.
export function buildRunOfFiles(root: string, runPath: string, files: number): string {
  return buildRun(root, runPath, { folders: files / 1000, filesPerFolder: 1000 });
}
