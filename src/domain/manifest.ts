// The Wizard's checksum manifest (.exlab-wizard/checksums.sha256): one line
// per file of the run outside .exlab-wizard/, in sha256sum's format:
// `<sha256-hex>  <relative/posix/path>` (one or two spaces, or ` *` for
// binary mode; a leading backslash marks an escaped path).
export interface ManifestEntry {
  path: string;
  sha256: string;
}

export const DEFAULT_MANIFEST = '.exlab-wizard/checksums.sha256';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BACKSLASH = 92;
const SPACE = 32;
const STAR = 42;

export function parseManifestLine(text: string): ManifestEntry | null {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  const escaped = line.charCodeAt(0) === BACKSLASH;
  const start = escaped ? 1 : 0;
  if (line.length < start + 66 || line.charCodeAt(start + 64) !== SPACE) return null;
  const sha256 = line.slice(start, start + 64);
  if (!HEX_SHA256.test(sha256)) return null;
  const marker = line.charCodeAt(start + 65);
  const rawPath = line.slice(marker === SPACE || marker === STAR ? start + 66 : start + 65);
  if (rawPath === '') return null;
  const path = escaped ? rawPath.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : rawPath;
  return { path: normalizeManifestPath(path), sha256: sha256.toLowerCase() };
}

export function normalizeManifestPath(path: string): string {
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
