// What keeps the service from starting, each as one line an operator can act
// on (printed instead of a stack, with a non-zero exit).
import fs from 'node:fs';
import type { AppConfig } from './config/schema.ts';
import { runsAs } from './lib/runsAs.ts';

// A configured staging root that is not there: serving it would show an
// empty, healthy staging area (a volume that was never mounted).
export function missingStagingRoot(root: string): string | null {
  const stat = fs.statSync(root, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return null;
  return (
    `staging_root ${root} ${stat ? 'is not a folder' : 'does not exist'}: point staging_root ` +
    `(STAGING_CLEANUP_STAGING_ROOT) at the orchestrator's staging folder, or mount it there.`
  );
}

// `why` is the journal's own sentence (journal_unavailable).
export function unwritableJournal(config: AppConfig, why: string): string {
  const { uid } = runsAs();
  return `${why} Make journal_dir ${config.journal_dir} writable by uid ${uid}, or set journal_dir (STAGING_CLEANUP_JOURNAL_DIR) to a folder it can write.`;
}

export function listenFailure(config: AppConfig, error: NodeJS.ErrnoException): string | null {
  const where = `${config.listen.host}:${config.listen.port}`;
  if (error.code === 'EADDRINUSE') {
    return `cannot listen on ${where}: the port is in use (another staging-cleanup?). Stop it, or set listen.port (STAGING_CLEANUP_LISTEN_PORT).`;
  }
  if (error.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges).`;
  if (error.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no interface of this host has that address.`;
  return null;
}

// The URL a person opens: a wildcard address is reached on loopback.
export function displayUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
