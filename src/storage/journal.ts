// The durable record of clears: JSON lines in journal_dir, one file per host
// label so that replicas sharing the folder never interleave their writes.
// Lookups go through an index in memory (journalIndex.ts) brought up to date
// with what was appended since, by this process or another replica; only the
// records asked for are read. A torn line is skipped. A journal-named entry
// that is not a regular file makes the journal unreadable (journal_unavailable):
// the records in it cannot be vouched for. Retention (journalRotation.ts)
// sets this host's file aside once it is large and deletes the oldest
// set-aside files; the index follows.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import { coalesced } from '../lib/coalesced.ts';
import type { ClearRecord } from '../domain/clearRecord.ts';
import { JournalIndex, NotJournalFile, parseRecord, type IndexedRecord } from './journalIndex.ts';
import { rotateIfDue, type JournalRetention, type Rotation } from './journalRotation.ts';

interface JournalWriter {
  append(record: ClearRecord): Promise<void>;
  close(): Promise<void>;
}

export interface Journal {
  readonly file: string;
  // Opens this host's file for appending; refuses when it cannot be written,
  // so that a clear can be refused before anything is deleted.
  openWriter(): Promise<JournalWriter>;
  // Brings the index up to date (built from the files the first time);
  // journal_unavailable when a journal file cannot be read.
  update(): Promise<void>;
  latestFor(runPath: string): Promise<ClearRecord | null>;
  // Newest first, after skipping the `offset` newest.
  recent(query: { since?: Date; limit: number; offset?: number }): Promise<ClearRecord[]>;
}

interface JournalOptions {
  // Without it, the file grows for ever (tests of other things).
  retention?: JournalRetention;
  clock?: () => Date;
  onRotated?: (rotation: Rotation) => void;
}

const FILE_PREFIX = 'clears.';
const FILE_SUFFIX = '.jsonl';
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

// A host label as it may appear in a file name of the journal folder.
export const fileLabelOf = (hostLabel: string): string => hostLabel.replace(/[^A-Za-z0-9._-]/g, '_');

export function journalFileName(hostLabel: string): string {
  return `${FILE_PREFIX}${fileLabelOf(hostLabel)}${FILE_SUFFIX}`;
}

const isJournalFile = (name: string): boolean => name.startsWith(FILE_PREFIX) && name.endsWith(FILE_SUFFIX);

// A record that was not where the index said: its file was rewritten.
class MovedRecord extends Error {
  override message = 'a journal file changed while it was read';
}

export function createJournal(directory: string, hostLabel: string, options: JournalOptions = {}): Journal {
  const name = journalFileName(hostLabel);
  const file = path.join(directory, name);
  const index = new JournalIndex(directory, isJournalFile);
  const clock = options.clock ?? (() => new Date());
  // Writers open one at a time past the rotation, so that it happens once.
  let rotating: Promise<unknown> = Promise.resolve();
  const rotateWhenDue = (): Promise<void> => {
    const { retention } = options;
    if (!retention) return Promise.resolve();
    const turn = rotating.then(async () => {
      const rotation = await rotateIfDue(directory, name, retention, clock());
      if (!rotation) return;
      for (const gone of [name, ...rotation.deleted]) index.forget(gone);
      options.onRotated?.(rotation);
    });
    rotating = turn.catch(() => undefined);
    return turn;
  };
  const update = coalesced(() => index.update().catch((error: unknown) => Promise.reject(readFailure(directory, error))));

  // `lookup` on an index brought up to date; once more if a file changed under it.
  const withIndex = async <T>(lookup: () => Promise<T>): Promise<T> => {
    await update();
    try {
      return await lookup();
    } catch (error) {
      if (!(error instanceof MovedRecord)) throw readFailure(directory, error);
    }
    await update();
    return lookup().catch((error: unknown) => Promise.reject(readFailure(directory, error)));
  };

  const readRecords = async (entries: readonly IndexedRecord[]): Promise<ClearRecord[]> => {
    const found = new Map<IndexedRecord, ClearRecord>();
    for (const fileName of new Set(entries.map((entry) => entry.file))) {
      const handle = await fs.open(path.join(directory, fileName), O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch(() => {
        index.forget(fileName);
        throw new MovedRecord();
      });
      try {
        for (const entry of entries.filter((candidate) => candidate.file === fileName)) {
          const bytes = Buffer.alloc(entry.length);
          await handle.read(bytes, 0, entry.length, entry.offset);
          const record = parseRecord(bytes.toString('utf8'));
          if (record?.run_path !== entry.runPath || record.cleared_at !== entry.clearedAt) {
            index.forget(fileName);
            throw new MovedRecord();
          }
          found.set(entry, record);
        }
      } finally {
        await handle.close();
      }
    }
    return entries.map((entry) => found.get(entry) as ClearRecord);
  };

  return {
    file,
    async openWriter() {
      let handle: fs.FileHandle;
      let torn: boolean;
      try {
        await fs.mkdir(directory, { recursive: true });
        await rotateWhenDue();
        handle = await fs.open(file, 'a+', 0o644);
        torn = await endsInTornLine(handle);
      } catch (error) {
        throw journalUnavailable(directory, error as NodeJS.ErrnoException, 'written');
      }
      return {
        async append(record) {
          const line = JSON.stringify(record);
          // After a line torn by a crash, a record starts on a line of its own.
          await handle.appendFile(`${torn ? '\n' : ''}${line}\n`);
          torn = false;
          await handle.datasync();
          const { size, ino } = await handle.stat();
          index.noteAppended(name, ino, size - Buffer.byteLength(line) - 1, line, record);
        },
        close: () => handle.close(),
      };
    },
    update,
    latestFor: (runPath) =>
      withIndex(async () => {
        const entry = index.latestFor(runPath);
        return entry ? ((await readRecords([entry]))[0] ?? null) : null;
      }),
    recent: ({ since, limit, offset = 0 }) => withIndex(() => readRecords(index.newest(since?.getTime(), limit, offset))),
  };
}

async function endsInTornLine(handle: fs.FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

function readFailure(directory: string, error: unknown): CleanupError {
  if (error instanceof CleanupError) return error;
  if (error instanceof NotJournalFile) {
    return new CleanupError(
      'journal_unavailable',
      { directory, access: 'read', cause: error.message },
      { details: { journal_dir: directory, error_code: error.errorCode } },
    );
  }
  return journalUnavailable(directory, error as NodeJS.ErrnoException, 'read');
}

export function journalUnavailable(
  directory: string,
  error: NodeJS.ErrnoException,
  access: 'read' | 'written',
): CleanupError {
  return new CleanupError(
    'journal_unavailable',
    { directory, access, cause: error.code ?? error.message },
    { details: { journal_dir: directory, error_code: error.code ?? null } },
  );
}
