// Runs the hot paths of a tree worker (walk, lstat, manifest lookups) a few
// thousand times on the worker's own small code folder when it starts, so
// that the first real scan after a start does not pay for JIT compilation.
import { parseManifestLine } from '../../domain/manifest.ts';
import { PathIndex } from '../../domain/pathIndex.ts';
import { withDirectoryAt } from '../dirHandle.ts';
import { measureTree } from './treeMeasure.ts';

const ROUNDS = 40;
const MANIFEST_LINES = 5000;

export function warmUp(folder: string): void {
  const index = new PathIndex();
  for (let line = 0; line < MANIFEST_LINES; line += 1) {
    const entry = parseManifestLine(`${'0'.repeat(64)}  warm-up/${line}.dat`);
    if (entry) index.add(entry.path);
  }
  const rules = { manifestPath: '.no-manifest', verifiedAtMs: 0, toleranceMs: 0, seenVerifiedAtMs: null };
  withDirectoryAt(folder.replace(/\/+$/, ''), (directory) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      measureTree(directory, { rules });
      index.has(`warm-up/${round}.dat`);
    }
  });
}
