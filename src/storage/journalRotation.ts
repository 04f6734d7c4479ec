// The journal's retention, so that a service running for years keeps its
// disk, its memory and its start-up time bounded. Once this host's file has
// reached `rotateBytes`, it is set aside whole under a name of its own
// (`clears.<host>~<UTC stamp>.jsonl`: `~` is never in a live file's name)
// and a new file is begun; set-aside files are still read (lookups, the
// listing of clears), and only the newest `keepRotated` of them are kept: the
// older ones are deleted, with their records. Files are never rewritten, only
// renamed (a hard link, then the old name unlinked, so that nothing is ever
// overwritten) or deleted whole.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface JournalRetention {
  rotateBytes: number;
  keepRotated: number;
}

export interface Rotation {
  // The live file's new name, and the set-aside files deleted.
  rotatedTo: string;
  deleted: string[];
}

const SUFFIX = '.jsonl';

// Rotates this host's journal file (`name` in `directory`) when it is due;
// null when it is not. One caller at a time (the journal serializes them).
export async function rotateIfDue(
  directory: string,
  name: string,
  retention: JournalRetention,
  now: Date,
): Promise<Rotation | null> {
  const live = path.join(directory, name);
  const size = await fs.lstat(live).then(
    (stat) => (stat.isFile() ? stat.size : 0),
    () => 0,
  );
  if (size < retention.rotateBytes) return null;
  const rotatedTo = `${rotatedPrefixOf(name)}${now.toISOString().replace(/[-:.]/g, '')}${SUFFIX}`;
  await fs.link(live, path.join(directory, rotatedTo));
  await fs.unlink(live);
  const rotated = (await fs.readdir(directory)).filter((entry) => entry.startsWith(rotatedPrefixOf(name))).sort();
  const deleted = rotated.slice(0, Math.max(0, rotated.length - retention.keepRotated));
  for (const entry of deleted) await fs.unlink(path.join(directory, entry));
  return { rotatedTo, deleted };
}

function rotatedPrefixOf(name: string): string {
  return `${name.slice(0, -SUFFIX.length)}~`;
}
