// `{run_path}` may come with raw slashes (curl .../staging/EQ/P/Runs/Run_x/clear)
// or encoded as %2F (generated clients). Before routing, raw slashes in the
// run part are encoded, so that one route parameter carries the whole path.
// Which names under the prefix are routes of their own (clear, sweep, ...)
// and which suffixes follow a run path (/clear, ...) is read from the routes
// as registered, so that a new route needs no change here.
const STAGING_PREFIX = '/api/v1/staging/';
const RUN_PATH_ROUTE = /^\/api\/v1\/staging\/:run_path(\/[^/:]+)?$/;

interface RouteShapes {
  count: number;
  staticNames: ReadonlySet<string>;
  runSuffixes: readonly string[];
}

const shapesCache = new WeakMap<ReadonlyArray<{ url: string }>, RouteShapes>();

function shapesOf(routes: ReadonlyArray<{ url: string }>): RouteShapes {
  const cached = shapesCache.get(routes);
  if (cached?.count === routes.length) return cached;
  const shapes = {
    count: routes.length,
    staticNames: new Set(
      routes
        .filter((route) => route.url.startsWith(STAGING_PREFIX) && !route.url.includes(':'))
        .map((route) => route.url.slice(STAGING_PREFIX.length)),
    ),
    runSuffixes: [...new Set(routes.flatMap((route) => RUN_PATH_ROUTE.exec(route.url)?.[1] ?? []))],
  };
  shapesCache.set(routes, shapes);
  return shapes;
}

// An API path with a trailing slash names the same resource (.../eligibility/,
// /api/v1/jobs/). Only under /api/: the panel's static files keep theirs.
export function withoutApiTrailingSlash(url: string): string {
  if (!url.startsWith('/api/')) return url;
  const [pathPart, query] = splitQuery(url);
  return pathPart.endsWith('/') ? `${pathPart.slice(0, -1)}${query}` : url;
}

// The path and the query (with its `?`, or empty).
function splitQuery(url: string): [string, string] {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? [url, ''] : [url.slice(0, queryAt), url.slice(queryAt)];
}

export function encodeRunPathInUrl(url: string, routes: ReadonlyArray<{ url: string }>): string {
  if (!url.startsWith(STAGING_PREFIX)) return url;
  const { staticNames, runSuffixes } = shapesOf(routes);
  const [pathPart, query] = splitQuery(url);
  let runPart = pathPart.slice(STAGING_PREFIX.length);
  if (staticNames.has(runPart)) return url;
  const suffix = runSuffixes.find((candidate) => runPart.endsWith(candidate) && runPart.length > candidate.length) ?? '';
  runPart = runPart.slice(0, runPart.length - suffix.length);
  if (!runPart.includes('/')) return url;
  return `${STAGING_PREFIX}${runPart.replaceAll('/', '%2F')}${suffix}${query}`;
}
