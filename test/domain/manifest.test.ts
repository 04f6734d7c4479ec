import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MANIFEST, manifestPathOf, parseManifestLine } from '../../src/domain/manifest.ts';
import { locateNasCopy } from '../../src/domain/nasMapping.ts';
import { PathIndex } from '../../src/domain/pathIndex.ts';
import { judgeStagedFile } from '../../src/domain/syncCheck.ts';

const HASH = 'a'.repeat(64);

describe('parseManifestLine (sha256sum format)', () => {
  it.each([
    ['two spaces', `${HASH}  images/frame 1.tif`, 'images/frame 1.tif'],
    ['one space', `${HASH} images/frame.tif`, 'images/frame.tif'],
    ['the binary-mode star', `${HASH} *images/frame.tif`, 'images/frame.tif'],
    ['a ./ prefix', `${HASH}  ./data/a.raw`, 'data/a.raw'],
    ['a CRLF ending', `${HASH}  data/a.raw\r`, 'data/a.raw'],
    ['an escaped name with a newline and a backslash', `\\${HASH}  odd\\nname\\\\x`, 'odd\nname\\x'],
  ])('reads %s', (_, line, path) => {
    expect(parseManifestLine(line)).toEqual({ path, sha256: HASH });
  });

  it('lowercases the hash', () => {
    expect(parseManifestLine(`${'AB'.repeat(32)}  x`)?.sha256).toBe('ab'.repeat(32));
  });

  it.each(['', '# comment', `${HASH.slice(1)}  short-hash`, `${HASH}`, `${'g'.repeat(64)}  not-hex`])(
    'skips a line that is not an entry: %j',
    (line) => {
      expect(parseManifestLine(line)).toBeNull();
    },
  );

  it('uses checksum_file when it is a plain path inside the run, else the default', () => {
    expect(manifestPathOf('.exlab-wizard/checksums.sha256')).toBe('.exlab-wizard/checksums.sha256');
    expect(manifestPathOf('.exlab-wizard/other.sha256')).toBe('.exlab-wizard/other.sha256');
    expect(manifestPathOf(undefined)).toBe(DEFAULT_MANIFEST);
    expect(manifestPathOf('/etc/passwd')).toBe(DEFAULT_MANIFEST);
    expect(manifestPathOf('../../elsewhere.sha256')).toBe(DEFAULT_MANIFEST);
  });
});

describe('PathIndex', () => {
  it('finds every path added and no other, through many growths', () => {
    const index = new PathIndex();
    for (let i = 0; i < 50_000; i += 1) index.add(`d${i % 97}/frame_${i}.tif`);
    expect(index.size).toBe(50_000);
    for (let i = 0; i < 50_000; i += 1) expect(index.has(`d${i % 97}/frame_${i}.tif`)).toBe(true);
    for (let i = 50_000; i < 60_000; i += 1) expect(index.has(`d${i % 97}/frame_${i}.tif`)).toBe(false);
  });

  it('takes the paths it was sized for without growing, and grows past them', () => {
    const index = new PathIndex(10_000);
    const sized = index.slots;
    for (let i = 0; i < 10_000; i += 1) index.add(`f_${i}`);
    expect(index.slots).toBe(sized);
    for (let i = 10_000; i < 20_000; i += 1) index.add(`f_${i}`);
    expect(index.slots).toBeGreaterThan(sized);
    expect(index.size).toBe(20_000);
    for (let i = 0; i < 20_000; i += 1) expect(index.has(`f_${i}`)).toBe(true);
    expect(index.has('f_20000')).toBe(false);
  });

  it('counts a path added twice once', () => {
    const index = new PathIndex();
    index.add('a');
    index.add('a');
    expect(index.size).toBe(1);
  });

  it('holds exactly the set of any unicode paths (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 300 }), fc.string(), (paths, probe) => {
        const index = new PathIndex();
        for (const path of paths) index.add(path);
        expect(paths.every((path) => index.has(path))).toBe(true);
        expect(index.has(probe)).toBe(paths.includes(probe));
      }),
      { seed: 20261127, numRuns: 200 },
    );
  });
});

describe('judgeStagedFile', () => {
  const manifest = new PathIndex();
  manifest.add('listed.dat');
  const verifiedAtMs = Date.parse('2026-04-17T16:18:43Z');
  const seenVerifiedAtMs = verifiedAtMs + 3_600_000;
  const rules = { verifiedAtMs, toleranceMs: 300_000, seenVerifiedAtMs };
  // A file as the orchestrator left it: written, and its inode last changed, before verification.
  const stamps = (mtimeMs: number, ctimeMs = verifiedAtMs - 1) => ({ ino: 7, size: 100, mtimeMs, ctimeMs });

  it('passes a listed file written before verification', () => {
    expect(judgeStagedFile('listed.dat', stamps(verifiedAtMs - 1), manifest, rules)).toBeNull();
  });

  it('flags a file the manifest does not list', () => {
    expect(judgeStagedFile('late.dat', stamps(verifiedAtMs - 1), manifest, rules)).toBe('not_in_manifest');
  });

  it('allows clock skew up to the tolerance, and flags a later change', () => {
    expect(judgeStagedFile('listed.dat', stamps(verifiedAtMs + 300_000), manifest, rules)).toBeNull();
    expect(judgeStagedFile('listed.dat', stamps(verifiedAtMs + 300_001), manifest, rules)).toBe('modified_after_verification');
  });

  it('applies only the time tests without a manifest', () => {
    expect(judgeStagedFile('any.dat', stamps(verifiedAtMs), null, rules)).toBeNull();
    expect(judgeStagedFile('any.dat', stamps(verifiedAtMs + 10_000_000), null, rules)).toBe('modified_after_verification');
  });

  it('applies only the manifest without a verification time', () => {
    const noTime = { verifiedAtMs: null, toleranceMs: 0, seenVerifiedAtMs: null };
    expect(judgeStagedFile('listed.dat', stamps(Date.now(), Date.now()), manifest, noTime)).toBeNull();
  });

  it('passes a file whose inode last changed up to the moment the service first saw the run verified', () => {
    expect(judgeStagedFile('listed.dat', stamps(verifiedAtMs - 1, seenVerifiedAtMs), manifest, rules)).toBeNull();
  });

  it('flags a file with an old mtime whose inode changed after the service saw the run verified (cp -p, rsync -a)', () => {
    const copiedIn = stamps(verifiedAtMs - 86_400_000, seenVerifiedAtMs + 1);
    expect(judgeStagedFile('listed.dat', copiedIn, manifest, rules)).toBe('inode_changed_after_verification');
    expect(judgeStagedFile('any.dat', copiedIn, null, rules)).toBe('inode_changed_after_verification');
  });

  it('names the mtime test first when both time tests fail', () => {
    const rewritten = stamps(verifiedAtMs + 300_001, seenVerifiedAtMs + 1);
    expect(judgeStagedFile('listed.dat', rewritten, manifest, rules)).toBe('modified_after_verification');
  });

  it('passes a file an earlier clear could not delete whose inode alone changed since (mended: chattr -i, chmod)', () => {
    const stuck = { 'listed.dat': { ino: 7, size: 100, mtimeMs: verifiedAtMs - 1 } };
    const mended = stamps(verifiedAtMs - 1, seenVerifiedAtMs + 1);
    expect(judgeStagedFile('listed.dat', mended, manifest, { ...rules, stuck })).toBeNull();
  });

  it('flags a stuck file whose content or inode changed all the same', () => {
    const stuck = { 'listed.dat': { ino: 7, size: 100, mtimeMs: verifiedAtMs - 1 } };
    const late = seenVerifiedAtMs + 1;
    for (const changed of [{ ...stamps(verifiedAtMs - 1, late), size: 101 }, { ...stamps(verifiedAtMs - 1, late), ino: 8 }]) {
      expect(judgeStagedFile('listed.dat', changed, manifest, { ...rules, stuck })).toBe('inode_changed_after_verification');
    }
  });

  it('makes no inode test where nobody saw the run verified', () => {
    const unseen = { ...rules, seenVerifiedAtMs: null };
    expect(judgeStagedFile('listed.dat', stamps(verifiedAtMs - 1, Date.now()), manifest, unseen)).toBeNull();
  });
});

describe('locateNasCopy', () => {
  const mounts = { '//nas01/lab': '/mnt/nas01/lab', '//nas01/lab/archive/': '/mnt/archive' };

  it('maps a nas_path through the longest matching prefix', () => {
    expect(locateNasCopy('//nas01/lab/EQ/P/Runs/Run_1', mounts)).toEqual({
      mountRoot: '/mnt/nas01/lab',
      runDir: '/mnt/nas01/lab/EQ/P/Runs/Run_1',
      runPath: 'EQ/P/Runs/Run_1',
    });
    expect(locateNasCopy('//nas01/lab/archive/Run_1', mounts)).toEqual({
      mountRoot: '/mnt/archive',
      runDir: '/mnt/archive/Run_1',
      runPath: 'Run_1',
    });
  });

  it('matches prefixes on a path boundary only', () => {
    expect(locateNasCopy('//nas01/laboratory/Run_1', mounts)).toBeNull();
  });

  it('refuses an unmapped path and one that climbs out of its mount', () => {
    expect(locateNasCopy('//nas02/lab/Run_1', mounts)).toBeNull();
    expect(locateNasCopy('//nas01/lab/../../etc', mounts)).toBeNull();
  });
});
