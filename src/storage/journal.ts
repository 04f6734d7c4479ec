// The durable record of clears: JSON lines in journal_dir, one file per host
// label so that replicas sharing the folder never interleave their writes.
// Reading merges every host's file, newest first, and skips a torn line.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import { clearRecordSchema, type ClearRecord } from '../domain/clearRecord.ts';

interface JournalWriter {
  append(record: ClearRecord): Promise<void>;
  close(): Promise<void>;
}

export interface Journal {
  readonly file: string;
  // Opens this host's file for appending; refuses when it cannot be written,
  // so that a clear can be refused before anything is deleted.
  openWriter(): Promise<JournalWriter>;
  readAll(): Promise<ClearRecord[]>;
  latestFor(runPath: string): Promise<ClearRecord | null>;
}

const FILE_PREFIX = 'clears.';
const FILE_SUFFIX = '.jsonl';

export function journalFileName(hostLabel: string): string {
  return `${FILE_PREFIX}${hostLabel.replace(/[^A-Za-z0-9._-]/g, '_')}${FILE_SUFFIX}`;
}

export function createJournal(directory: string, hostLabel: string): Journal {
  const file = path.join(directory, journalFileName(hostLabel));

  const readAll = async (): Promise<ClearRecord[]> => {
    const names = await fs.readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw unavailable(directory, error, 'read');
    });
    const files = names.filter((name) => name.startsWith(FILE_PREFIX) && name.endsWith(FILE_SUFFIX));
    const texts = await Promise.all(files.map((name) => fs.readFile(path.join(directory, name), 'utf8')));
    // Within a file the last line is the newest; the sort keeps that order.
    return texts.flatMap((text) => parseLines(text).reverse()).sort(newestFirst);
  };

  return {
    file,
    async openWriter() {
      let handle: fs.FileHandle;
      try {
        await fs.mkdir(directory, { recursive: true });
        handle = await fs.open(file, 'a', 0o644);
      } catch (error) {
        throw unavailable(directory, error as NodeJS.ErrnoException, 'written');
      }
      return {
        async append(record) {
          await handle.appendFile(`${JSON.stringify(record)}\n`);
          await handle.datasync();
        },
        close: () => handle.close(),
      };
    },
    readAll,
    async latestFor(runPath) {
      return (await readAll()).find((record) => record.run_path === runPath) ?? null;
    },
  };
}

function parseLines(text: string): ClearRecord[] {
  const records: ClearRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    // A line torn by a crash mid-append is skipped; the records around it stand.
    const parsed = clearRecordSchema.safeParse(parseJsonOrNull(line));
    if (parsed.success) records.push(parsed.data);
  }
  return records;
}

function parseJsonOrNull(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function newestFirst(a: ClearRecord, b: ClearRecord): number {
  return b.cleared_at.localeCompare(a.cleared_at);
}

function unavailable(
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
