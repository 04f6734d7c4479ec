// Names inside a run that the Wizard reserves (DESIGN §2).
export const META_DIR = '.exlab-wizard';
export const INGEST_FILE = 'ingest.json';
export const MANIFEST_FILE = 'checksums.sha256';

export function ingestPathOf(runDir: string): string {
  return `${runDir}/${META_DIR}/${INGEST_FILE}`;
}

// A folder given relative to the run ('' is the run folder itself).
export function pathInRun(runDir: string, relativePath: string): string {
  return relativePath ? `${runDir}/${relativePath}` : runDir;
}

export function isMetaPath(relativePath: string): boolean {
  return relativePath === META_DIR || relativePath.startsWith(`${META_DIR}/`);
}
