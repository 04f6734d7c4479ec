// `{run_path}` may come with raw slashes (curl .../staging/EQ/P/Runs/Run_x/clear)
// or encoded as %2F (generated clients). Before routing, raw slashes in the
// run part are encoded, so that one route parameter carries the whole path.
export const STAGING_PREFIX = '/api/v1/staging/';
// Routes under the prefix that are not run paths.
const STATIC_ROUTES = new Set(['clear', 'sweep', 'clears']);
const RUN_SUFFIXES = ['/eligibility', '/clear'];

export function encodeRunPathInUrl(url: string): string {
  if (!url.startsWith(STAGING_PREFIX)) return url;
  const queryAt = url.indexOf('?');
  const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  let runPart = pathPart.slice(STAGING_PREFIX.length);
  if (STATIC_ROUTES.has(runPart)) return url;
  const suffix = RUN_SUFFIXES.find((candidate) => runPart.endsWith(candidate) && runPart.length > candidate.length) ?? '';
  runPart = runPart.slice(0, runPart.length - suffix.length);
  if (!runPart.includes('/')) return url;
  return `${STAGING_PREFIX}${runPart.replaceAll('/', '%2F')}${suffix}${query}`;
}
