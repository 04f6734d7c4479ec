import { describe, expect, it } from 'vitest';
import { CleanupError } from '../../src/domain/errors.ts';
import { distinctRunPaths, resolveRunPath } from '../../src/domain/runPath.ts';

const root = '/srv/staging';

function refusal(requested: string): CleanupError {
  try {
    resolveRunPath(requested, root);
  } catch (error) {
    return error as CleanupError;
  }
  throw new Error(`expected ${requested} to be refused`);
}

describe('resolveRunPath', () => {
  it('resolves an experimental run under Runs/', () => {
    expect(resolveRunPath('CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32', root)).toEqual({
      runPath: 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32',
      absolutePath: '/srv/staging/CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32',
      segments: ['CONFOCAL_01', 'PROJ-0042', 'Runs', 'Run_2026-04-17T14-32'],
      diskPath: '/srv/staging/CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32',
      escaped: false,
      layout: 'runs',
      runKind: 'experimental',
    });
  });

  it('reads names that are not UTF-8 in their escaped form, to the same bytes, and shows them one way', () => {
    const location = resolveRunPath('EQ_\\xe9/P/Runs/Run_\\xff\\\\1', root);
    expect(location).toMatchObject({
      runPath: 'EQ_\\xe9/P/Runs/Run_\\xff\\\\1',
      segments: ['EQ_\xe9', 'P', 'Runs', 'Run_\xff\\1'],
      diskPath: '/srv/staging/EQ_\xe9/P/Runs/Run_\xff\\1',
      escaped: true,
    });
    // Another spelling of the same bytes names the same run, shown one way.
    expect(resolveRunPath('EQ_\\xE9/P/Runs/Run_\\xff\\\\1', root).runPath).toBe(location.runPath);
    expect(resolveRunPath('EQ/P/Runs/Run_\\x41', root)).toMatchObject({ runPath: 'EQ/P/Runs/Run_A', escaped: false });
    expect(resolveRunPath('EQ_é/P/Runs/Run_1', root)).toMatchObject({ segments: ['EQ_\xc3\xa9', 'P', 'Runs', 'Run_1'], escaped: false });
  });

  it('resolves a test run under TestRuns/', () => {
    expect(resolveRunPath('EQ/P/TestRuns/TestRun_1', root)).toMatchObject({ layout: 'test_runs', runKind: 'test' });
  });

  it('resolves a legacy run placed directly under the project', () => {
    expect(resolveRunPath('TECAN_02/PROJ-0007/Run_2025-11-02T08-00', root)).toMatchObject({
      layout: 'legacy',
      runKind: 'experimental',
    });
  });

  it('accepts an absolute path under the root, as the Wizard rows carry it', () => {
    expect(resolveRunPath('/srv/staging/EQ/P/Runs/Run_1', root).runPath).toBe('EQ/P/Runs/Run_1');
  });

  it('tolerates one trailing slash', () => {
    expect(resolveRunPath('EQ/P/Runs/Run_1/', root).runPath).toBe('EQ/P/Runs/Run_1');
  });

  it.each([
    ['empty', ''],
    ['a parent segment', 'EQ/P/Runs/../Runs/Run_1'],
    ['a leading parent segment', '../staging/EQ/P/Runs/Run_1'],
    ['a current-directory segment', 'EQ/./P/Run_1'],
    ['an absolute path outside the root', '/etc/passwd'],
    ['an absolute path beside the root', '/srv/staging-other/EQ/P/Runs/Run_1'],
    ['the root itself', '/srv/staging'],
    ['a NUL byte', 'EQ/P/Runs/Run_1\0'],
    ['a backslash', 'EQ\\P\\Runs\\Run_1'],
    ['an escape of "/"', 'EQ\\x2fP/P/Runs/Run_1'],
    ['an escape of NUL', 'EQ/P/Runs/Run_\\x00'],
    ['an escaped hidden name', 'EQ/\\x2eP/Runs/Run_1'],
    ['an escaped ".."', 'EQ/\\x2e\\x2e/Runs/Run_1'],
    ['a backslash that is no escape', 'EQ/P/Runs/Run_\\x4'],
    ['an empty segment', 'EQ//P/Runs/Run_1'],
    ['a hidden equipment folder', '.EQ/P/Runs/Run_1'],
    ['a hidden run', 'EQ/P/Runs/.Run_1'],
    ['an equipment folder', 'EQ'],
    ['a project folder', 'EQ/P'],
    ['the Runs folder', 'EQ/P/Runs'],
    ['a run nested too deep', 'EQ/P/Runs/Run_1/data'],
    ['a run without a stamp', 'EQ/P/Runs/Run_'],
    ['a TestRun under Runs/', 'EQ/P/Runs/TestRun_1'],
    ['a Run under TestRuns/', 'EQ/P/TestRuns/Run_1'],
    ['a legacy TestRun', 'EQ/P/TestRun_1'],
    ['a leaf with another name', 'EQ/P/Runs/Scan_1'],
    ['a 5000-character path', `EQ/P/Runs/Run_${'x'.repeat(5000)}`],
    ['a name longer than 255 bytes', `EQ/P/Runs/Run_${'x'.repeat(252)}`],
    ['a name of 128 two-byte characters', `EQ/P/Runs/Run_${'é'.repeat(126)}`],
  ])('refuses %s as invalid_run_path', (_, requested) => {
    const error = refusal(requested);
    expect(error).toBeInstanceOf(CleanupError);
    expect(error.code).toBe('invalid_run_path');
    expect(error.field).toBe('run_path');
  });

  it('treats a still-encoded "%2E%2E" as a name, never as a parent segment', () => {
    const location = resolveRunPath('EQ/%2E%2E/Runs/Run_1', root);
    expect(location.absolutePath.startsWith(`${root}/`)).toBe(true);
    expect(location.runPath).toBe('EQ/%2E%2E/Runs/Run_1');
  });
});

describe('distinctRunPaths', () => {
  const root = '/srv/staging';

  it('names each run of a set once, however it was spelled', () => {
    expect(
      distinctRunPaths(['EQ/P/Runs/Run_1', '/srv/staging/EQ/P/Runs/Run_1', 'EQ/P/Runs/Run_1/', 'EQ/P/Runs/Run_2'], root),
    ).toEqual(['EQ/P/Runs/Run_1', 'EQ/P/Runs/Run_2']);
  });

  it('keeps a path that does not resolve as given, once, in its place', () => {
    expect(distinctRunPaths(['EQ/P/Runs/Run_1', '../x', '../x', 'EQ/P/Runs/Run_2'], root)).toEqual(['EQ/P/Runs/Run_1', '../x', 'EQ/P/Runs/Run_2']);
  });
});
