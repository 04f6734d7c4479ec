// Free-space samples of the staging volume, kept in the journal folder as
// JSON lines (one file per host label, like the journal) so that the fill
// rate survives a restart. Bounded: past twice MAX_SAMPLES lines the file is
// rewritten (atomically) with the newest MAX_SAMPLES. A torn or foreign
// line is skipped. Losing samples costs only the fill-rate estimate. The
// folder is the journal's to create (with its first record): until then,
// samples are kept in memory only.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { VolumeSample } from '../domain/fillRate.ts';
import { writeFileAtomicIn } from './atomicWrite.ts';
import { DirHandle } from './dirHandle.ts';
import { fileLabelOf } from './journal.ts';

// A week of samples at the default five-minute interval.
export const MAX_SAMPLES = 2016;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export interface StoredSample extends VolumeSample {
  size_bytes: number;
  free_bytes: number;
}

export interface VolumeSamples {
  readonly file: string;
  // The kept samples, oldest first (read from the file the first time).
  all(): Promise<StoredSample[]>;
  // Kept in memory; written too when the journal folder exists.
  add(sample: StoredSample): Promise<void>;
}

export const volumeSamplesFileName = (hostLabel: string): string => `volume.${fileLabelOf(hostLabel)}.jsonl`;

function parseSample(line: string): StoredSample | null {
  try {
    const value = JSON.parse(line) as Partial<StoredSample>;
    const numbers = [value.avail_bytes, value.size_bytes, value.free_bytes];
    return typeof value.at === 'string' && numbers.every((n) => typeof n === 'number' && Number.isFinite(n))
      ? (value as StoredSample)
      : null;
  } catch {
    return null;
  }
}

async function readSamples(file: string): Promise<StoredSample[]> {
  const handle = await fs.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!handle) return [];
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_FILE_BYTES);
    const bytes = Buffer.alloc(length);
    await handle.read(bytes, 0, length, size - length);
    const lines = bytes.toString('utf8').split('\n');
    return lines.flatMap((line) => parseSample(line) ?? []).slice(-MAX_SAMPLES);
  } finally {
    await handle.close();
  }
}

const isFolder = (directory: string): Promise<boolean> =>
  fs.lstat(directory).then(
    (stat) => stat.isDirectory(),
    () => false,
  );

export function createVolumeSamples(directory: string, hostLabel: string): VolumeSamples {
  const name = volumeSamplesFileName(hostLabel);
  const file = path.join(directory, name);
  let kept: Promise<StoredSample[]> | null = null;
  let linesInFile = 0;
  const all = (): Promise<StoredSample[]> => {
    kept ??= readSamples(file).then((samples) => {
      linesInFile = samples.length;
      return samples;
    });
    return kept;
  };
  return {
    file,
    all,
    async add(sample) {
      const samples = await all();
      samples.push(sample);
      if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
      if (!(await isFolder(directory))) return;
      if (linesInFile + 1 > 2 * MAX_SAMPLES) {
        const folder = await DirHandle.openTrustedAsync(directory);
        try {
          await writeFileAtomicIn(folder, name, samples.map((kept) => `${JSON.stringify(kept)}\n`).join(''));
        } finally {
          await folder.closeAsync();
        }
        linesInFile = samples.length;
        return;
      }
      await fs.appendFile(file, `${JSON.stringify(sample)}\n`, { flag: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW });
      linesInFile += 1;
    },
  };
}
