// What lstat says of an entry, in a form that crosses to and from worker
// threads: enough to tell whether the entry changed since last seen.
import type { DirHandle, StatLike } from '../dirHandle.ts';
import { withRun, type RunRef } from '../runDirectory.ts';
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

// What tells whether a run changed: its .exlab-wizard, its ingest.json and
// the folders it had when last measured (byte strings relative to the run).
export interface RunStampRequest {
  run: RunRef;
  folders: string[];
}

export interface RunStamps {
  meta: FileStamp | null;
  ingest: FileStamp | null;
  folders: Array<FileStamp | null>;
}

export function stampRuns(requests: readonly RunStampRequest[]): Array<RunStamps | null> {
  return requests.map((request) =>
    withRun(request.run, (run) => {
      const meta = stampAt(run, META_DIR);
      return {
        meta,
        ingest: meta?.kind === 'directory' ? stampIn(run, META_DIR, INGEST_FILE) : null,
        folders: stampFolders(run, request.folders),
      };
    }),
  );
}

function stampAt(folder: DirHandle, name: string): FileStamp | null {
  const stat = folder.lstatOrNull(name);
  return stat ? stampOf(stat) : null;
}

function stampIn(run: DirHandle, folderPath: string, name: string): FileStamp | null {
  try {
    const folder = run.openPath(folderPath);
    try {
      return stampAt(folder, name);
    } finally {
      folder.close();
    }
  } catch {
    return null;
  }
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
