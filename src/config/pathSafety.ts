// Folders the service must never take as its staging root or journal: a
// staging root that is the whole filesystem, a system folder, or a folder
// holding the service itself would put everything there within reach of a
// clear; a journal inside the staging tree could be deleted by one, and one
// in a kernel pseudo-filesystem is not storage at all.
import fs from 'node:fs';
import path from 'node:path';

const SYSTEM_FOLDERS = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/root', '/run', '/sbin', '/sys', '/usr', '/var'];
const PSEUDO_FILESYSTEMS = ['/proc', '/sys', '/dev'];

// The service's own installation: the package folder (src/ or dist/ is below it).
export const INSTALL_DIR = path.resolve(import.meta.dirname, '..', '..');

const isWithin = (child: string, parent: string): boolean => {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

// The path with the links of its existing part resolved: a link to / is /.
function realPathOf(absolute: string): string {
  const missing: string[] = [];
  let existing = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...missing.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

function stagingRootProblem(root: string, installDir: string): string | null {
  if (root === '/') return 'is the whole filesystem';
  if (SYSTEM_FOLDERS.includes(root)) return `is the system folder ${root}`;
  const pseudo = PSEUDO_FILESYSTEMS.find((folder) => isWithin(root, folder));
  if (pseudo) return `is inside ${pseudo}, a kernel pseudo-filesystem`;
  if (isWithin(installDir, root)) return `holds this service's own installation (${installDir})`;
  return null;
}

export interface PathSettings {
  staging_root: string;
  journal_dir: string;
}

// One problem per key as [key, why]; paths are absolute.
export function pathProblems(settings: PathSettings, installDir = INSTALL_DIR): Array<[string, string]> {
  const root = realPathOf(settings.staging_root);
  const journal = realPathOf(settings.journal_dir);
  const rootProblem = stagingRootProblem(root, realPathOf(installDir));
  const pseudo = PSEUDO_FILESYSTEMS.find((folder) => isWithin(journal, folder));
  // Inside a staging root refused already, the journal is not the problem.
  const journalProblem = pseudo
    ? `is inside ${pseudo}, a kernel pseudo-filesystem: keep the journal on real storage`
    : !rootProblem && isWithin(journal, root)
      ? `is inside staging_root ${settings.staging_root}: keep the record of clears outside the tree they delete from`
      : null;
  return [
    ...(rootProblem ? [['staging_root', `${settings.staging_root} ${rootProblem}: point it at the orchestrator's staging folder`] as [string, string]] : []),
    ...(journalProblem ? [['journal_dir', `${settings.journal_dir} ${journalProblem}`] as [string, string]] : []),
  ];
}
