// Names inside a run that the Wizard reserves (the .exlab-wizard/ folder and its files).
export const META_DIR = '.exlab-wizard';
export const INGEST_FILE = 'ingest.json';
// ingest.json as a path relative to the run.
export const INGEST_PATH = `${META_DIR}/${INGEST_FILE}`;

export function isMetaPath(relativePath: string): boolean {
  return relativePath === META_DIR || relativePath.startsWith(`${META_DIR}/`);
}
