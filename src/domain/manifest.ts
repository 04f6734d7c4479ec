// The Wizard's checksum manifest (.exlab-wizard/checksums.sha256): one line
// per file of the run outside .exlab-wizard/, in sha256sum's format:
// `<sha256-hex>  <relative/posix/path>` (one or two spaces, or ` *` for
// binary mode; a leading backslash marks an escaped path).
export interface ManifestEntry {
  path: string;
  sha256: string;
}

export const DEFAULT_MANIFEST = '.exlab-wizard/checksums.sha256';

const LINE = /^(\\?)([0-9a-fA-F]{64}) [ *]?(.+)$/;

export function parseManifestLine(line: string): ManifestEntry | null {
  const match = LINE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (!match) return null;
  const [, escaped, sha256, rawPath] = match as unknown as [string, string, string, string];
  const unescaped = escaped ? rawPath.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : rawPath;
  return { path: normalizeManifestPath(unescaped), sha256: sha256.toLowerCase() };
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
