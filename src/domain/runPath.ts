// Which paths are run leaves (EQUIPMENT/PROJECT/Runs/Run_*, TestRuns/TestRun_*, legacy PROJECT/Run_*), and resolving a requested run,
// relative or absolute, to one of them inside staging_root without I/O.
// Folder names are bytes: a run path shows each as entryName.ts's showRunName
// does (`\xHH` for a byte that is not UTF-8), and is read back to the same
// bytes, so that a run under any name can be named.
import { byteString, readRunName, showRunName } from './entryName.ts';
import { CleanupError } from './errors.ts';
import type { RunKind } from './ingestSchema.ts';

type RunLayout = 'runs' | 'test_runs' | 'legacy';

export interface RunLocation {
  // As shown and named in the API (escaped where a name is not UTF-8).
  runPath: string;
  absolutePath: string;
  // The names below staging_root as byte strings (one character per byte),
  // and the whole path so: what the disk is asked for.
  segments: readonly string[];
  diskPath: string;
  // Some name on the way is shown escaped.
  escaped: boolean;
  layout: RunLayout;
  runKind: RunKind;
}

// Longer than any path the filesystem can open (PATH_MAX), or any name (NAME_MAX).
export const MAX_RUN_PATH_LENGTH = 4096;
const MAX_NAME_BYTES = 255;

export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

function isRunLeafName(name: string, prefix: 'Run_' | 'TestRun_'): boolean {
  return name.startsWith(prefix) && name.length > prefix.length;
}

// The layout of a run leaf from its segments below staging_root, or null when
// those segments are not a run leaf.
export function runLayoutOf(segments: readonly string[]): RunLayout | null {
  if (segments.some((segment) => segment === '' || isHiddenName(segment))) return null;
  const [, , container, leaf] = segments;
  if (segments.length === 3) return isRunLeafName(segments[2] ?? '', 'Run_') ? 'legacy' : null;
  if (segments.length !== 4 || leaf === undefined) return null;
  if (container === 'Runs' && isRunLeafName(leaf, 'Run_')) return 'runs';
  if (container === 'TestRuns' && isRunLeafName(leaf, 'TestRun_')) return 'test_runs';
  return null;
}

function runKindOf(layout: RunLayout): RunKind {
  return layout === 'test_runs' ? 'test' : 'experimental';
}

function refuse(why: string): never {
  throw new CleanupError('invalid_run_path', { why });
}

// stagingRoot must be absolute and normalized (no trailing slash).
export function resolveRunPath(requested: string, stagingRoot: string): RunLocation {
  if (requested.length === 0) refuse('it is empty');
  if (requested.length > MAX_RUN_PATH_LENGTH) {
    refuse(`it is longer than ${MAX_RUN_PATH_LENGTH} characters`);
  }
  if (requested.includes('\0')) refuse('it contains a NUL character');

  let relative = requested;
  if (requested.startsWith('/')) {
    const rootPrefix = `${stagingRoot}/`;
    if (!requested.startsWith(rootPrefix)) refuse(`an absolute path must lie under ${stagingRoot}`);
    relative = requested.slice(rootPrefix.length);
  }
  if (relative.endsWith('/')) relative = relative.slice(0, -1);
  const segments = relative.split('/').map((segment) => {
    const bytes = readRunName(segment);
    if (bytes === null) refuse('a backslash begins an escape, \\xHH or \\\\; use forward slashes between folders');
    return bytes;
  });
  return locateRun(segments, stagingRoot);
}

// The run leaf at these names (byte strings) below staging_root.
export function locateRun(segments: readonly string[], stagingRoot: string): RunLocation {
  if (segments.some((segment) => segment === '')) refuse('it has an empty segment');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    refuse('"." and ".." segments are not allowed');
  }
  if (segments.some(isHiddenName)) refuse('no segment may start with "."');
  if (segments.some((segment) => segment.includes('/') || segment.includes('\0'))) {
    refuse('an escaped byte may not be "/" or NUL');
  }
  if (segments.some((segment) => segment.length > MAX_NAME_BYTES)) {
    refuse(`no segment may be longer than ${MAX_NAME_BYTES} bytes`);
  }
  const layout = runLayoutOf(segments);
  if (layout === null) {
    refuse(
      'a run is EQUIPMENT/PROJECT/Runs/Run_<stamp>, EQUIPMENT/PROJECT/TestRuns/TestRun_<stamp> or EQUIPMENT/PROJECT/Run_<stamp>',
    );
  }
  const shown = segments.map(showRunName);
  const runPath = shown.map((name) => name.path).join('/');
  return {
    runPath,
    absolutePath: `${stagingRoot}/${runPath}`,
    segments,
    diskPath: `${byteString(stagingRoot)}/${segments.join('/')}`,
    escaped: shown.some((name) => name.escaped === true),
    layout,
    runKind: runKindOf(layout),
  };
}

// The runs a set names, each once however it was spelled (relative or
// absolute, with a trailing slash): by its run path when it resolves, as
// given when it does not (its clear then refuses it on its own).
export function distinctRunPaths(requested: readonly string[], stagingRoot: string): string[] {
  const named = requested.map((runPath) => {
    try {
      return resolveRunPath(runPath, stagingRoot).runPath;
    } catch {
      return runPath;
    }
  });
  return [...new Set(named)];
}
