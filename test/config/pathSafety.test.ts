import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSTALL_DIR, pathProblems } from '../../src/config/pathSafety.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const keys = (problems: Array<[string, string]>): string[] => problems.map(([key]) => key);

describe('staging_root and journal_dir placement', () => {
  it('accepts side-by-side folders that do not exist yet, as the defaults are', () => {
    expect(pathProblems({ staging_root: path.join(dir, 'staging'), journal_dir: path.join(dir, 'journal') })).toEqual([]);
  });

  it('accepts a staging root below the installation (./staging of a checkout)', () => {
    expect(pathProblems({ staging_root: path.join(INSTALL_DIR, 'staging'), journal_dir: path.join(INSTALL_DIR, 'journal') })).toEqual([]);
  });

  it.each(['/', '/usr', '/etc', '/var', '/boot', '/proc', '/sys/fs', '/dev/shm/staging'])('refuses the staging root %s', (root) => {
    expect(keys(pathProblems({ staging_root: root, journal_dir: path.join(dir, 'journal') }))).toEqual(['staging_root']);
  });

  it('refuses a link to / as the staging root: the link is resolved', () => {
    fs.symlinkSync('/', path.join(dir, 'staging'));
    const [problem] = pathProblems({ staging_root: path.join(dir, 'staging'), journal_dir: path.join(dir, 'journal') });
    expect(problem).toEqual(['staging_root', `${path.join(dir, 'staging')} is the whole filesystem: point it at the orchestrator's staging folder`]);
  });

  it('refuses the installation folder or a folder above it as the staging root', () => {
    for (const root of [INSTALL_DIR, path.dirname(INSTALL_DIR)]) {
      const problems = pathProblems({ staging_root: root, journal_dir: path.join(dir, 'journal') });
      expect(problems).toEqual([['staging_root', expect.stringContaining("holds this service's own installation")]]);
    }
  });

  it('refuses a journal inside the staging root, also when reached through a link', () => {
    const staging = path.join(dir, 'staging');
    fs.mkdirSync(staging);
    expect(keys(pathProblems({ staging_root: staging, journal_dir: path.join(staging, 'journal') }))).toEqual(['journal_dir']);
    expect(keys(pathProblems({ staging_root: staging, journal_dir: staging }))).toEqual(['journal_dir']);
    fs.symlinkSync(staging, path.join(dir, 'alias'));
    expect(keys(pathProblems({ staging_root: staging, journal_dir: path.join(dir, 'alias', 'journal') }))).toEqual(['journal_dir']);
  });

  it('refuses a journal in a kernel pseudo-filesystem', () => {
    expect(pathProblems({ staging_root: path.join(dir, 'staging'), journal_dir: '/proc/self/journal' })).toEqual([
      ['journal_dir', '/proc/self/journal is inside /proc, a kernel pseudo-filesystem: keep the journal on real storage'],
    ]);
  });
});
