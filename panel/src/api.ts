// The service's public API, as the panel calls it: JSON, the bearer token of
// this browser tab (sessionStorage only), and the API's error envelope turned
// into an ApiError that keeps its code, message and details. Every URL is
// relative (`api/v1/...`, no leading slash), resolved against the page, which
// is served only at the service's root: so the panel works as well behind a
// reverse proxy that serves the service under a path (`/cleanup/`).
import type { ErrorBody, Health } from './apiTypes.ts';

const TOKEN_KEY = 'staging-cleanup.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  forget: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(
    readonly status: number,
    body: ErrorBody,
  ) {
    super(body.message);
    this.code = body.code;
    this.details = body.details;
  }
}

interface RequestOptions {
  body?: unknown;
  // Prefer: respond-async: answer 202 with a job at once.
  async?: boolean;
}

export async function call<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authorization() };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.async) headers.prefer = 'respond-async';
  let response: Response;
  try {
    const body = options.body === undefined ? null : JSON.stringify(options.body);
    response = await fetch(path, { method, headers, body });
  } catch (error) {
    throw new ApiError(0, { code: 'unreachable', message: `The service cannot be reached (${String(error)}).` });
  }
  const answer: unknown = await response.json().catch(() => null);
  if (response.ok) return answer as T;
  const error = (answer as { error?: ErrorBody } | null)?.error;
  throw new ApiError(response.status, error ?? { code: `http_${response.status}`, message: response.statusText });
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);

// Health needs no token, and its 503 answer is a health report too.
export async function getHealth(): Promise<Health> {
  try {
    return (await (await fetch('api/v1/health')).json()) as Health;
  } catch (error) {
    return { status: 'not_ready', checks: { service: { ok: false, message: `The service cannot be reached (${String(error)}).` } } };
  }
}

// A run path in a URL: each segment encoded, the slashes kept.
export function runUrl(runPath: string, suffix = ''): string {
  return `api/v1/staging/${runPath.split('/').map(encodeURIComponent).join('/')}${suffix}`;
}

// The headers of a request: the bearer token, when there is one. Also the
// event stream's: it is read with fetch, not EventSource, so that its token
// travels in a header like every other request's, never in a URL a proxy logs.
export function authorization(): Record<string, string> {
  const bearer = token.get();
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}
