// Where a run's NAS copy is on this machine: nas_mounts maps a nas_path
// prefix (//nas01/lab) to a local mount (/mnt/nas01/lab). The longest prefix
// that matches on a path boundary wins.
interface NasLocation {
  mountRoot: string;
  runDir: string;
  // The run's folder relative to the mount ('' for the mount itself).
  runPath: string;
}

export function locateNasCopy(nasPath: string, mounts: Readonly<Record<string, string>>): NasLocation | null {
  const prefixes = Object.keys(mounts)
    .map((prefix) => prefix.replace(/\/+$/, ''))
    .filter((prefix) => nasPath === prefix || nasPath.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
  const prefix = prefixes[0];
  if (prefix === undefined) return null;
  const mountRoot = (mounts[prefix] ?? mounts[`${prefix}/`] ?? '').replace(/\/+$/, '');
  const rest = nasPath.slice(prefix.length).split('/').filter(Boolean);
  if (!mountRoot || rest.some((segment) => segment === '.' || segment === '..')) return null;
  return { mountRoot, runDir: [mountRoot, ...rest].join('/'), runPath: rest.join('/') };
}
