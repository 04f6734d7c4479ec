// When this service first saw each run verified: the moment the inode test
// of the pre-clear check compares ctimes with (README "Checks before a
// clear"). A record's own sync_verified time cannot serve: files copied into
// a staging tree, or a tree moved to a new disk, have new ctimes however old
// the verification. Kept in the journal folder as JSON lines (one file per
// host label, like the journal), so that a restart never moves a sighting
// later. A torn or foreign line is skipped.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StuckFile } from '../domain/syncCheck.ts';
import { fileLabelOf, journalUnavailable } from './journal.ts';

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export interface VerificationSightings {
  readonly file: string;
  // When (ms since the epoch, this machine's clock) this service first saw
  // the run at `runPath` verified at `verification` (the latest
  // sync_verified entry's time, as written); now, noted, when never before.
  firstSeen(runPath: string, verification: string): Promise<number>;
  // The files a clear of that run and verification could not delete, as
  // they were then (SyncRules.stuck), kept with the sightings.
  stuckFiles(runPath: string, verification: string): Promise<Record<string, StuckFile>>;
  noteStuck(runPath: string, verification: string, stuck: Readonly<Record<string, StuckFile>>): Promise<void>;
  // A run cleared whole: what was seen of it is forgotten (on disk with the
  // next sighting), so that a new run staged later at the same path is seen afresh.
  forget(runPath: string, verification: string): Promise<void>;
  // Resolves once every sighting noted so far is on disk; a clear waits for
  // it before it deletes. Both reject with journal_unavailable when the
  // file cannot be read or written.
  durable(): Promise<void>;
}

// A line: a first sighting, files a clear could not delete, or a run cleared whole.
interface Sighting {
  run_path: string;
  verification: string;
  seen_ms?: number;
  stuck?: Record<string, StuckFile>;
  forgotten?: true;
}

interface Seen {
  seenMs: number | null;
  stuck: Record<string, StuckFile>;
}

export const sightingsFileName = (hostLabel: string): string => `sightings.${fileLabelOf(hostLabel)}.jsonl`;

const keyOf = (runPath: string, verification: string): string => `${runPath}\n${verification}`;

function parseSighting(line: string): Sighting | null {
  try {
    const value = JSON.parse(line) as Partial<Sighting>;
    const keyed = typeof value.run_path === 'string' && typeof value.verification === 'string';
    const fact =
      Number.isFinite(value.seen_ms) || (typeof value.stuck === 'object' && value.stuck !== null) || value.forgotten === true;
    return keyed && fact ? (value as Sighting) : null;
  } catch {
    return null;
  }
}

// The file opened without following a link and without waiting (a FIFO
// there neither blocks nor reads as empty), refused unless it is a regular
// file: what it holds decides what a clear may delete.
async function openRegular(file: string, flags: number): Promise<fs.FileHandle> {
  const handle = await fs.open(file, flags | O_NOFOLLOW | O_NONBLOCK, 0o644);
  if ((await handle.stat()).isFile()) return handle;
  await handle.close();
  throw new Error(`${path.basename(file)} is not a regular file`);
}

async function readSightings(file: string): Promise<Map<string, Seen>> {
  const handle = await openRegular(file, O_RDONLY).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  let text = '';
  if (handle) {
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }
  const seen = new Map<string, Seen>();
  for (const sighting of text.split('\n').flatMap((line) => parseSighting(line) ?? [])) {
    const key = keyOf(sighting.run_path, sighting.verification);
    if (sighting.forgotten) {
      seen.delete(key);
      continue;
    }
    const known = seen.get(key) ?? { seenMs: null, stuck: {} };
    // The earliest wins: a line appended twice (a crash between write and bookkeeping) never moves it later.
    if (sighting.seen_ms !== undefined) known.seenMs = Math.min(known.seenMs ?? Infinity, sighting.seen_ms);
    Object.assign(known.stuck, sighting.stuck);
    seen.set(key, known);
  }
  return seen;
}

export function createVerificationSightings(directory: string, hostLabel: string): VerificationSightings {
  const file = path.join(directory, sightingsFileName(hostLabel));
  let loaded: Promise<Map<string, Seen>> | null = null;
  let unwritten: string[] = [];
  // Whether a line not yet written is one a restart needs (not only forgotten runs).
  let needed = false;
  let writing: Promise<void> = Promise.resolve();

  const write = async (): Promise<void> => {
    if (!needed) return;
    const lines = unwritten;
    unwritten = [];
    needed = false;
    try {
      await fs.mkdir(directory, { recursive: true });
      const handle = await openRegular(file, O_WRONLY | O_APPEND | O_CREAT);
      try {
        // A line torn by a crash ends at the first newline of this batch.
        await handle.appendFile(`\n${lines.join('')}`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      unwritten = [...lines, ...unwritten];
      needed = true;
      throw journalUnavailable(directory, error as NodeJS.ErrnoException, 'written');
    }
  };
  // One write at a time, in order; each durable() waits for the writes noted before it.
  const durable = (): Promise<void> => {
    writing = writing.catch(() => undefined).then(write);
    return writing;
  };
  // A file that cannot be read fails every look until it can (fail closed):
  // a sighting forgotten would be taken again later, and more would pass.
  const seenOf = async (runPath: string, verification: string): Promise<Seen> => {
    loaded ??= readSightings(file).catch((error: NodeJS.ErrnoException) => {
      loaded = null;
      throw journalUnavailable(directory, error, 'read');
    });
    const all = await loaded;
    const key = keyOf(runPath, verification);
    const seen = all.get(key) ?? { seenMs: null, stuck: {} };
    all.set(key, seen);
    return seen;
  };
  const note = (sighting: Sighting): void => {
    unwritten.push(`${JSON.stringify(sighting)}\n`);
    needed ||= !sighting.forgotten;
  };

  return {
    file,
    async firstSeen(runPath, verification) {
      const seen = await seenOf(runPath, verification);
      if (seen.seenMs !== null) return seen.seenMs;
      // One millisecond on: Date.now() is truncated, and an inode changed
      // within the same millisecond, before this look, is not late.
      seen.seenMs = Date.now() + 1;
      note({ run_path: runPath, verification, seen_ms: seen.seenMs });
      // Listings note sightings too; they are written in the background, and a clear waits for them.
      durable().catch(() => undefined);
      return seen.seenMs;
    },
    async stuckFiles(runPath, verification) {
      return (await seenOf(runPath, verification)).stuck;
    },
    async noteStuck(runPath, verification, stuck) {
      Object.assign((await seenOf(runPath, verification)).stuck, stuck);
      note({ run_path: runPath, verification, stuck: { ...stuck } });
      await durable();
    },
    async forget(runPath, verification) {
      (await loaded)?.delete(keyOf(runPath, verification));
      // Written with the next sighting, no disk write of its own: lost in a
      // crash, it only makes a run staged again at this path, with the same
      // time, judged more strictly.
      note({ run_path: runPath, verification, forgotten: true });
    },
    durable,
  };
}
