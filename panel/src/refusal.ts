// An error of the API as a person reads it: its code, its message, and the
// paths its details name (the files of unsynced_files, the differences of
// nas_copy_mismatch, what clear_incomplete left), with how many there are.
import { ApiError } from './api.ts';
import type { ErrorBody } from './apiTypes.ts';
import { el } from './dom.ts';
import { formatCount } from './format.ts';

export function errorBodyOf(error: unknown): ErrorBody {
  if (error instanceof ApiError) return { code: error.code, message: error.message, details: error.details };
  return { code: 'panel_error', message: String(error) };
}

export function refusalBlock(error: ErrorBody): HTMLElement {
  const named = namedPaths(error.details);
  return el(
    'div',
    { className: 'refusal', dataset: { code: error.code } },
    el('p', {}, el('code', { className: 'code' }, error.code), ' ', error.message),
    named &&
      el(
        'ul',
        { className: 'paths' },
        ...named.paths.map((path) => el('li', {}, el('code', {}, path))),
        named.count > named.paths.length && el('li', {}, `… ${formatCount(named.count - named.paths.length)} more`),
      ),
  );
}

function namedPaths(details: unknown): { paths: string[]; count: number } | null {
  if (typeof details !== 'object' || details === null) return null;
  const values = Object.values(details as Record<string, unknown>);
  const list = values.find(
    (value): value is Array<{ path: string }> =>
      Array.isArray(value) && value.length > 0 && value.every((item) => typeof item?.path === 'string'),
  );
  if (!list) return null;
  const counts = Object.entries(details as Record<string, unknown>).filter(([key, value]) => key.endsWith('_count') && typeof value === 'number');
  return { paths: list.map((item) => item.path), count: (counts[0]?.[1] as number | undefined) ?? list.length };
}
