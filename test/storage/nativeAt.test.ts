import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirHandle } from '../../src/storage/dirHandle.ts';
import { nativeAt } from '../../src/storage/nativeAt.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

let base: string;
let folder: DirHandle;
beforeEach(() => {
  base = makeTempDir();
  folder = DirHandle.openTrusted(base);
});
afterEach(() => {
  folder.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('the native descriptor calls (native/at.c)', () => {
  it.each([
    ['a slash', 'a/b'],
    ['".."', '..'],
    ['"."', '.'],
    ['nothing', ''],
    ['a NUL byte', 'a\0b'],
  ])('refuses a name with %s: a name is one path component', (_, name) => {
    fs.mkdirSync(path.join(base, 'a'));
    expect(() => nativeAt.lstatat(folder.fd, Buffer.from(name))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => nativeAt.unlinkat(folder.fd, Buffer.from(name), true)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('never opens a link, as a folder (ENOTDIR) or a file (ELOOP), and names errors as Node does', () => {
    fs.mkdirSync(path.join(base, 'real'));
    fs.symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
    expect(() => folder.openDirectory('link')).toThrow(expect.objectContaining({ code: 'ENOTDIR', errno: -20 }));
    expect(() => folder.openFile('link')).toThrow(expect.objectContaining({ code: 'ELOOP', errno: -40 }));
    expect(() => folder.openDirectory('missing')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('makes a folder and opens it in one call (mkdirOpenat), never over a link or anything that is there', () => {
    const made = new DirHandle(nativeAt.mkdirOpenat(folder.fd, Buffer.from('made')));
    try {
      expect(made.stat().ino).toBe(fs.lstatSync(path.join(base, 'made')).ino);
    } finally {
      made.close();
    }
    fs.mkdirSync(path.join(base, 'outside'));
    fs.symlinkSync(path.join(base, 'outside'), path.join(base, 'link'));
    for (const name of ['made', 'link']) {
      expect(() => nativeAt.mkdirOpenat(folder.fd, Buffer.from(name))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    }
    expect(fs.readdirSync(path.join(base, 'outside'))).toEqual([]);
    expect(() => nativeAt.mkdirOpenat(folder.fd, Buffer.from('a/b'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('lists raw names with their lstat in one scan, links by their own size', () => {
    fs.writeFileSync(Buffer.from(`${base}/caf\xe9.raw`, 'latin1'), '12345');
    fs.mkdirSync(path.join(base, 'sub'));
    fs.symlinkSync('/nonexistent/target', path.join(base, 'dangling'));
    const entries = folder.statedEntries().sort((a, b) => a.name.localeCompare(b.name));
    expect(entries.map((entry) => [entry.name, entry.isDirectory, entry.stat?.size])).toEqual([
      ['caf\xe9.raw', false, 5],
      ['dangling', false, '/nonexistent/target'.length],
      ['sub', true, fs.statSync(path.join(base, 'sub')).size],
    ]);
    const stat = fs.lstatSync(Buffer.from(`${base}/caf\xe9.raw`, 'latin1'));
    expect(entries[0]?.stat).toMatchObject({ mtimeMs: stat.mtimeMs, ino: stat.ino });
  });

  it('measures the volume under an open folder as statfs does for its path', () => {
    const [frsize, blocks, , , files] = nativeAt.fstatvfs(folder.fd);
    const byPath = fs.statfsSync(base);
    expect(frsize).toBeGreaterThan(0);
    expect((blocks as number) * (frsize as number)).toBe(byPath.blocks * byPath.bsize);
    expect(files).toBe(byPath.files);
  });

  it('refuses to measure through a bad descriptor (EBADF)', () => {
    expect(() => nativeAt.fstatvfs(-1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('unlinks a file and removes an empty folder relative to the open folder', () => {
    fs.writeFileSync(path.join(base, 'f'), 'x');
    fs.mkdirSync(path.join(base, 'd'));
    folder.unlink('f');
    folder.rmdir('d');
    expect(fs.readdirSync(base)).toEqual([]);
  });
});

describe('unlinking an entry only while it is the one judged (unlinkatUnchanged)', () => {
  const write = (name: string, content: string): void => fs.writeFileSync(path.join(base, name), content);

  it('unlinks an entry whose inode, size, mtime and ctime are still the judged ones', () => {
    write('f', 'judged');
    expect(folder.unlinkUnchanged('f', folder.lstat('f'))).toBe('unlinked');
    expect(fs.existsSync(path.join(base, 'f'))).toBe(false);
  });

  it('keeps a file appended to after it was judged', () => {
    write('f', 'judged');
    const judged = folder.lstat('f');
    fs.appendFileSync(path.join(base, 'f'), ' and more');
    expect(folder.unlinkUnchanged('f', judged)).toBe('changed');
    expect(fs.readFileSync(path.join(base, 'f'), 'utf8')).toBe('judged and more');
  });

  it('keeps a file replaced under the same name with the judged size and mtime', () => {
    write('f', 'judged');
    const judged = folder.lstat('f');
    write('f.new', 'other!');
    fs.utimesSync(path.join(base, 'f.new'), new Date(judged.mtimeMs), new Date(judged.mtimeMs));
    fs.renameSync(path.join(base, 'f.new'), path.join(base, 'f'));
    expect(folder.unlinkUnchanged('f', judged)).toBe('changed');
    expect(fs.readFileSync(path.join(base, 'f'), 'utf8')).toBe('other!');
  });

  it('keeps an entry whose inode alone changed (chmod) and never unlinks a folder', () => {
    write('f', 'judged');
    const judged = folder.lstat('f');
    fs.chmodSync(path.join(base, 'f'), 0o600);
    expect(folder.unlinkUnchanged('f', judged)).toBe('changed');
    fs.mkdirSync(path.join(base, 'd'));
    expect(folder.unlinkUnchanged('d', folder.lstat('d'))).toBe('changed');
    expect(fs.readdirSync(base).sort()).toEqual(['d', 'f']);
  });

  it('unlinks a symbolic link as an entry, never what it points to', () => {
    write('target', 'kept');
    fs.symlinkSync(path.join(base, 'target'), path.join(base, 'link'));
    expect(folder.unlinkUnchanged('link', folder.lstat('link'))).toBe('unlinked');
    expect(fs.readdirSync(base)).toEqual(['target']);
  });

  it('answers ENOENT for an entry already gone', () => {
    write('f', 'judged');
    const judged = folder.lstat('f');
    fs.rmSync(path.join(base, 'f'));
    expect(() => folder.unlinkUnchanged('f', judged)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
