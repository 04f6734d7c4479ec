// The Wizard's checksum manifest (.exlab-wizard/checksums.sha256): one line
// per file of the run outside .exlab-wizard/, in sha256sum's format:
// `<sha256-hex>  <relative/posix/path>` (one or two spaces, or ` *` for
// binary mode; a leading backslash marks an escaped path). Lines are byte
// strings (see entryName.ts), so paths match the disk's names byte for byte.
export interface ManifestEntry {
  path: string;
  sha256: string;
}

export const DEFAULT_MANIFEST = '.exlab-wizard/checksums.sha256';

const BACKSLASH = 92;
const SPACE = 32;
const STAR = 42;

export function parseManifestLine(text: string): ManifestEntry | null {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  const path = manifestPathIn(line);
  if (path === null) return null;
  const start = line.charCodeAt(0) === BACKSLASH ? 1 : 0;
  return { path, sha256: line.slice(start, start + 64).toLowerCase() };
}

// Only the path of a manifest line (or null when the line is not an entry),
// without copying the hash: what a path index needs, for a million lines.
export function manifestPathIn(text: string): string | null {
  const end = text.endsWith('\r') ? text.length - 1 : text.length;
  const escaped = text.charCodeAt(0) === BACKSLASH;
  const start = escaped ? 1 : 0;
  if (end < start + 66 || text.charCodeAt(start + 64) !== SPACE) return null;
  for (let i = start; i < start + 64; i += 1) if (!isHexDigit(text.charCodeAt(i))) return null;
  const marker = text.charCodeAt(start + 65);
  const rawPath = text.slice(marker === SPACE || marker === STAR ? start + 66 : start + 65, end);
  if (rawPath === '') return null;
  const path = escaped ? rawPath.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : rawPath;
  return normalizeManifestPath(path);
}

// Why a manifest path does not name a file inside the run, or null: an entry
// that climbs out would have the checks look at files that are not the run's.
export function manifestPathProblem(path: string): string | null {
  if (path.startsWith('/')) return 'is an absolute path';
  // Read for every line of a million-line manifest: no array per line.
  const climbs = path === '..' || path.startsWith('../') || path.endsWith('/..') || path.includes('/../');
  return climbs ? 'has a ".." segment' : null;
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

function normalizeManifestPath(path: string): string {
  let normalized = path;
  while (normalized.startsWith('./')) normalized = normalized.slice(2);
  return normalized;
}

// The manifest a run's sync_verified entry names, if it is a plain relative
// path inside the run; otherwise the Wizard's default place.
export function manifestPathOf(checksumFile: unknown): string {
  if (typeof checksumFile !== 'string' || checksumFile === '') return DEFAULT_MANIFEST;
  const segments = normalizeManifestPath(checksumFile).split('/');
  const plain = !checksumFile.startsWith('/') && segments.every((s) => s !== '' && s !== '.' && s !== '..');
  return plain ? segments.join('/') : DEFAULT_MANIFEST;
}
