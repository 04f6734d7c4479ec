// What lstat says of an entry, in a form that crosses to and from worker
// threads: enough to tell whether the entry changed since last seen.
import type { DirHandle, StatLike } from '../dirHandle.ts';
import { withRun, type RunRef } from '../runRef.ts';
import { INGEST_FILE, META_DIR } from '../runLayout.ts';

export interface FileStamp {
  kind: 'file' | 'directory' | 'other';
  mtimeMs: number;
  // Set by the kernel on every change: an mtime put back does not hide one.
  ctimeMs: number;
  size: number;
  ino: number;
}

export function stampOf(stat: StatLike): FileStamp {
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  return { kind, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, size: stat.size, ino: stat.ino };
}

export function sameStamp(a: FileStamp | null | undefined, b: FileStamp | null | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.kind === b.kind &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs &&
    a.size === b.size &&
    a.ino === b.ino
  );
}

// What tells whether a run changed: its .exlab-wizard, its ingest.json, its
// manifest (rewritten in place, it changes no folder) and the folders it had
// when last measured (byte strings relative to the run).
export interface RunStampRequest {
  run: RunRef;
  folders: string[];
  manifest?: string;
}

export interface RunStamps {
  meta: FileStamp | null;
  ingest: FileStamp | null;
  // Null when not asked for or not there.
  manifest: FileStamp | null;
  folders: Array<FileStamp | null>;
}

export function stampRuns(requests: readonly RunStampRequest[]): Array<RunStamps | null> {
  return requests.map((request) =>
    withRun(request.run, (run) => {
      const meta = stampAt(run, META_DIR);
      const manifestAt = request.manifest === undefined ? null : folderAndName(request.manifest);
      // The usual manifest is stamped on the descriptor opened for ingest.json.
      const besideIngest = manifestAt?.folder === META_DIR;
      const names = besideIngest ? [INGEST_FILE, manifestAt.name] : [INGEST_FILE];
      const [ingest = null, manifestBeside = null] = meta?.kind === 'directory' ? stampsIn(run, META_DIR, names) : [];
      const manifest = !manifestAt
        ? null
        : besideIngest
          ? manifestBeside
          : (stampsIn(run, manifestAt.folder, [manifestAt.name])[0] ?? null);
      return { meta, ingest, manifest, folders: stampFolders(run, request.folders) };
    }),
  );
}

function stampAt(folder: DirHandle, name: string): FileStamp | null {
  const stat = folder.lstatOrNull(name);
  return stat ? stampOf(stat) : null;
}

// The stamps of names in one folder of the run (opened once); none when the
// folder cannot be opened.
function stampsIn(run: DirHandle, folderPath: string, names: readonly string[]): Array<FileStamp | null> {
  try {
    const folder = run.openPath(folderPath);
    try {
      return names.map((name) => stampAt(folder, name));
    } finally {
      folder.close();
    }
  } catch {
    return [];
  }
}

function folderAndName(relativePath: string): { folder: string; name: string } {
  const slash = relativePath.lastIndexOf('/');
  return { folder: relativePath.slice(0, Math.max(slash, 0)), name: relativePath.slice(slash + 1) };
}

// Each folder opened from its parent (kept open while its subfolders come,
// as a walk lists them: parents first), never through a link.
function stampFolders(run: DirHandle, folders: readonly string[]): Array<FileStamp | null> {
  const chain: Array<{ path: string; handle: DirHandle }> = [{ path: '', handle: run.borrow() }];
  try {
    return folders.map((relativePath) => {
      if (relativePath === '') return stampOf(run.stat());
      while (chain.length > 1 && !relativePath.startsWith(`${(chain.at(-1) as { path: string }).path}/`)) {
        chain.pop()?.handle.close();
      }
      const parent = chain.at(-1) as { path: string; handle: DirHandle };
      const name = parent.path ? relativePath.slice(parent.path.length + 1) : relativePath;
      try {
        const handle = parent.handle.openPath(name);
        chain.push({ path: relativePath, handle });
        return stampOf(handle.stat());
      } catch {
        return null;
      }
    });
  } finally {
    for (const link of chain) link.handle.close();
  }
}
