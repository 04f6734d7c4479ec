// The journal's index in memory: where each record lies (file, offset,
// length), by run and by time, so that looking up a run or listing recent
// clears never reads the whole journal again. It is built from the files on
// first use, told of this process's appends as they are written, and brought
// up to date by reading only what was appended since (by other replicas):
// each file from its last indexed offset to its end. A file that shrank or
// was replaced is indexed again from its start. Records are not kept here,
// only their places, so memory grows by about 100 bytes per record.
import fs from 'node:fs/promises';
import path from 'node:path';
import { clearRecordSchema, type ClearRecord } from '../domain/clearRecord.ts';
import { readLinesFrom, type LineScan } from './journalLines.ts';

export interface IndexedRecord {
  readonly runPath: string;
  readonly clearedAt: string;
  // The file's name in the journal folder, and the line's place in it.
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  // Order of indexing: the later of two records of the same second is newer.
  readonly seq: number;
}

interface FileState {
  ino: number;
  scan: LineScan;
}

// A journal-named entry that is not a regular file.
export class NotJournalFile extends Error {
  constructor(
    readonly entry: string,
    readonly errorCode: string,
  ) {
    super(`${entry} is ${errorCode === 'EISDIR' ? 'a directory' : 'not a regular file'}, not a journal file`);
  }
}

const byTime = (a: IndexedRecord, b: IndexedRecord): number =>
  a.clearedAt < b.clearedAt ? -1 : a.clearedAt > b.clearedAt ? 1 : a.seq - b.seq;

export class JournalIndex {
  private readonly files = new Map<string, FileState>();
  // Oldest first.
  private records: IndexedRecord[] = [];
  private readonly latest = new Map<string, IndexedRecord>();
  private seq = 0;

  constructor(
    private readonly directory: string,
    private readonly isJournalFile: (name: string) => boolean,
  ) {}

  // Reads what every journal file gained since the last look.
  async update(): Promise<void> {
    const names = await this.journalNames();
    for (const name of this.files.keys()) if (!names.includes(name)) this.forget(name);
    await Promise.all(names.map((name) => this.updateFile(name)));
  }

  // A record this process appended at `offset`: indexed at once when the
  // file is indexed up to there (else the next update reads it).
  noteAppended(name: string, ino: number, offset: number, line: string, record: ClearRecord): void {
    const state = this.files.get(name);
    if (!state || state.ino !== ino || state.scan.indexed !== offset || state.scan.skipping) return;
    const length = Buffer.byteLength(line);
    this.add([this.entryOf(record, name, offset, length)]);
    state.scan = { indexed: offset + length + 1, skipping: false };
  }

  latestFor(runPath: string): IndexedRecord | null {
    return this.latest.get(runPath) ?? null;
  }

  // Newest first, cleared at `since` or later, at most `limit` after the
  // `offset` newest of them.
  newest(since: number | undefined, limit: number, offset = 0): IndexedRecord[] {
    const found: IndexedRecord[] = [];
    let skipped = 0;
    for (let index = this.records.length - 1; index >= 0 && found.length < limit; index -= 1) {
      const entry = this.records[index] as IndexedRecord;
      if (since !== undefined && Date.parse(entry.clearedAt) < since) continue;
      if (skipped < offset) skipped += 1;
      else found.push(entry);
    }
    return found;
  }

  // The file is indexed again from its start at the next update (its
  // records were not where the index said: it was rewritten in place).
  forget(name: string): void {
    if (!this.files.delete(name)) return;
    this.records = this.records.filter((entry) => entry.file !== name);
    this.latest.clear();
    for (const entry of this.records) this.latest.set(entry.runPath, entry);
  }

  private async journalNames(): Promise<string[]> {
    const names = await fs.readdir(this.directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return names.filter(this.isJournalFile);
  }

  private async updateFile(name: string): Promise<void> {
    const file = path.join(this.directory, name);
    const seen = await fs.lstat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!seen) return this.forget(name);
    if (!seen.isFile()) throw new NotJournalFile(name, seen.isDirectory() ? 'EISDIR' : 'EINVAL');
    const known = this.files.get(name);
    if (known && (known.ino !== seen.ino || seen.size < known.scan.indexed)) this.forget(name);
    const state = this.files.get(name) ?? { ino: seen.ino, scan: { indexed: 0, skipping: false } };
    if (seen.size === state.scan.indexed) {
      this.files.set(name, state);
      return;
    }
    const found: IndexedRecord[] = [];
    const scan = await readLinesFrom(file, state.scan, (line, offset, length) => {
      const record = parseRecord(line);
      if (record) found.push(this.entryOf(record, name, offset, length));
    });
    // Applied only if nothing moved the file on meanwhile (a note, another update).
    if ((this.files.get(name) ?? state) !== state || state.scan.indexed !== scan.from) return;
    state.scan = scan.next;
    this.files.set(name, state);
    this.add(found);
  }

  private entryOf(record: ClearRecord, file: string, offset: number, length: number): IndexedRecord {
    this.seq += 1;
    return { runPath: record.run_path, clearedAt: record.cleared_at, file, offset, length, seq: this.seq };
  }

  private add(entries: IndexedRecord[]): void {
    if (entries.length === 0) return;
    const last = this.records.at(-1);
    const inOrder = entries.every((entry, index) => byTime(entries[index - 1] ?? last ?? entry, entry) <= 0);
    for (const entry of entries) this.records.push(entry);
    if (!inOrder) this.records.sort(byTime);
    for (const entry of entries) {
      const known = this.latest.get(entry.runPath);
      if (!known || byTime(known, entry) < 0) this.latest.set(entry.runPath, entry);
    }
  }
}

// One journal line as a record, or null for a line that is not one (torn by
// a crash mid-append, or garbage): the records around it stand.
export function parseRecord(line: string): ClearRecord | null {
  try {
    const parsed = clearRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
