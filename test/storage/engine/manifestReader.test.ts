import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { byteString } from '../../../src/domain/entryName.ts';
import { loadManifestIndex, MAX_LINE_BYTES, openManifest } from '../../../src/storage/engine/manifestReader.ts';
import { withRunAt } from '../../helpers/runHandle.ts';
import { makeTempDir } from '../../helpers/stagingTree.ts';

const HASH = 'c'.repeat(64);
const FILE = '.exlab-wizard/checksums.sha256';
let run: string;
beforeEach(() => {
  run = path.join(makeTempDir(), 'Run_1');
  fs.mkdirSync(path.join(run, '.exlab-wizard'), { recursive: true });
});
afterEach(() => fs.rmSync(path.dirname(run), { recursive: true, force: true }));

function writeManifest(content: string | Buffer): void {
  fs.writeFileSync(path.join(run, FILE), content);
}

function entries(): Promise<Array<{ path: string; sha256: string }>> {
  return withRunAt(run, (opened) => [...(openManifest(opened.run, FILE) ?? [])]);
}

describe('the checksum manifest, read through the run descriptor', () => {
  it('answers null when the run has no manifest', async () => {
    expect(await withRunAt(run, (opened) => openManifest(opened.run, FILE))).toBeNull();
  });

  it('reads every line of a manifest whose lines cross 64 KiB chunk boundaries, CRLF endings included', async () => {
    const names = Array.from({ length: 3000 }, (_, i) => `data/${'n'.repeat(i % 90)}_${i}.raw`);
    writeManifest(names.map((name, i) => `${HASH}  ${name}${i % 2 ? '\r\n' : '\n'}`).join(''));
    expect((await entries()).map((entry) => entry.path)).toEqual(names);
  });

  it('sizes the index from the manifest\'s lines, and a part of it from its share, without growing', async () => {
    const names = Array.from({ length: 14_000 }, (_, i) => `${i % 2 ? 'odd' : 'even'}/f_${i}.raw`);
    writeManifest(names.map((name) => `${HASH}  ${name}\n`).join(''));
    const [whole, part] = await withRunAt(run, (opened) => [
      loadManifestIndex(opened.run, FILE),
      loadManifestIndex(opened.run, FILE, { keep: (name) => name.startsWith('odd/'), share: 0.5 }),
    ]);
    expect(whole?.size).toBe(14_000);
    expect(part?.size).toBe(7000);
    // Grown by doubling from 1024 slots, they would hold 32768 and 16384.
    expect(whole?.slots).toBeLessThan(1.75 * 14_000);
    expect(part?.slots).toBeLessThan(1.75 * 7000);
    expect(names.every((name) => whole?.has(name))).toBe(true);
    expect(names.every((name) => part?.has(name) === name.startsWith('odd/'))).toBe(true);
  });

  it('keeps the bytes of a name that is not UTF-8, as a byte string', async () => {
    writeManifest(Buffer.concat([Buffer.from(`${HASH}  Messung_`), Buffer.from([0xe9]), Buffer.from('.raw\n')]));
    const index = await withRunAt(run, (opened) => loadManifestIndex(opened.run, FILE));
    expect(index?.has('Messung_\xe9.raw')).toBe(true);
    // The same name written in UTF-8 is other bytes, so another file.
    expect(index?.has(byteString('Messung_é.raw'))).toBe(false);
  });

  it.each([
    ['an absolute path', `${HASH}  /etc/hostname`, 'line 2: the entry is an absolute path, outside the run'],
    ['a ".." segment', `${HASH}  data/../../x`, 'line 2: the entry has a ".." segment, outside the run'],
  ])('refuses the whole manifest for an entry with %s, naming the line', async (_, line, message) => {
    writeManifest(`${HASH}  ok.raw\n${line}\n`);
    await expect(entries()).rejects.toThrow(message);
  });

  it('refuses a line longer than the cap', async () => {
    writeManifest(`${HASH}  ${'x'.repeat(MAX_LINE_BYTES)}\n`);
    await expect(entries()).rejects.toThrow(`line 1 is longer than ${MAX_LINE_BYTES} bytes`);
  });

  it('refuses a file larger than the cap without reading it whole', async () => {
    writeManifest(`${HASH}  a\n`);
    fs.truncateSync(path.join(run, FILE), 2 * 1024 ** 3);
    await expect(entries()).rejects.toThrow('larger than 1073741824 bytes');
  });

  it('refuses a link without following it', async () => {
    fs.writeFileSync(path.join(run, '.exlab-wizard/real.sha256'), `${HASH}  a\n`);
    fs.symlinkSync('real.sha256', path.join(run, FILE));
    await expect(entries()).rejects.toThrow('it is a symbolic link');
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    execFileSync('mkfifo', [path.join(run, FILE)]);
    await expect(entries()).rejects.toThrow('it is not a regular file');
  });
});
