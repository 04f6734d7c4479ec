// Reaching a run leaf from the staging root through descriptors (README "How
// a clear stays safe"): the root is opened as configured and checked against
// its pin (stagingRootGuard.ts), and each segment below it is opened relative
// to its parent without following links and must be on the root's own mount:
// a folder that is another filesystem mounted there (a NAS share, another
// disk, a bind mount) is never entered for a clear. A clear holds the run's
// descriptor for its whole length, and its workers use that same descriptor,
// so the run cannot be swapped for another folder under it.
import { CleanupError } from '../domain/errors.ts';
import { showRunName } from '../domain/entryName.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { DirHandle, errorCode } from './dirHandle.ts';
import type { StagingRootGuard } from './stagingRootGuard.ts';

// A folder on the way to a run (or the run itself) is another filesystem
// mounted there: `segments` name it below the staging root.
export class OtherFilesystem extends CleanupError {
  constructor(
    readonly segments: string[],
    runPath: string,
    shown: string,
  ) {
    super('run_on_other_filesystem', { runPath, folder: shown }, { details: { path: shown } });
  }
}

export interface OpenRun {
  run: DirHandle;
  // The folder holding the run (Runs/, TestRuns/ or the project), and the
  // run's name there: to remove the run folder itself.
  parent: DirHandle;
  name: string;
  close(): Promise<void>;
}

// The opened run, or 'missing' when some segment is not there. A segment that
// is a link or not a folder is an invalid run path; one that cannot be opened
// (EACCES, ...) makes this run unreadable (survey_failed), not the others;
// one on another filesystem refuses the run (OtherFilesystem).
export async function openRun(root: StagingRootGuard, location: RunLocation): Promise<OpenRun | 'missing'> {
  const { segments } = location;
  let current = await root.open();
  let parent: DirHandle | null = null;
  let shown = root.path;
  try {
    const rootMount = current.mountId();
    for (const [index, segment] of segments.entries()) {
      shown = `${shown}/${showRunName(segment).path}`;
      const next = await current
        // Its mount is judged below, as the refusal of its own.
        .openDirectoryAsync(segment, true)
        .catch((error: unknown) => segmentError(error, shown, location.runPath));
      if (next === 'missing') {
        await Promise.all([current.closeAsync(), parent?.closeAsync()]);
        return 'missing';
      }
      await parent?.closeAsync();
      parent = current;
      current = next;
      if (current.mountId() !== rootMount) throw new OtherFilesystem(segments.slice(0, index + 1), location.runPath, shown);
    }
  } catch (error) {
    await Promise.all([current.closeAsync(), parent?.closeAsync()]);
    throw error;
  }
  const run = current;
  const holder = parent as DirHandle;
  return {
    run,
    parent: holder,
    name: segments.at(-1) as string,
    close: async () => {
      await Promise.all([run.closeAsync(), holder.closeAsync()]);
    },
  };
}

function segmentError(error: unknown, shown: string, runPath: string): 'missing' {
  const code = errorCode(error);
  if (code === 'ENOENT') return 'missing';
  if (code === 'ELOOP') {
    throw new CleanupError('invalid_run_path', { why: `${shown} is a symbolic link; links are never followed` });
  }
  if (code === 'ENOTDIR') {
    throw new CleanupError('invalid_run_path', { why: `${shown} is not a directory` });
  }
  throw new CleanupError(
    'survey_failed',
    { runPath, why: `${shown} cannot be opened (${code})` },
    { details: { path: shown, error_code: code } },
  );
}
