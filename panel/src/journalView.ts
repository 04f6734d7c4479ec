// The journal of clears, newest first, as the API keeps it.
import { get } from './api.ts';
import type { ClearRecord } from './apiTypes.ts';
import { byId, el, replaceChildren } from './dom.ts';
import { formatBytes, formatCount, formatDuration, formatTime } from './format.ts';

const SHOWN_RECORDS = 200;

export async function showJournal(): Promise<void> {
  const { clears } = await get<{ clears: ClearRecord[] }>(`api/v1/staging/clears?limit=${SHOWN_RECORDS}`);
  replaceChildren(
    byId('journal-body', HTMLTableSectionElement),
    ...clears.map((record) =>
      el(
        'tr',
        {},
        el('td', { title: record.cleared_at }, formatTime(record.cleared_at)),
        el('td', {}, record.run_path),
        el('td', {}, record.actor),
        el('td', { className: 'num' }, formatCount(record.files_freed)),
        el('td', { className: 'num' }, formatBytes(record.bytes_freed)),
        el('td', { className: 'num' }, formatDuration(record.duration_ms)),
        el('td', {}, el('span', { className: `pill outcome-${record.outcome}` }, record.outcome.replace('_', ' ')), record.resumed ? ' (resumed)' : ''),
      ),
    ),
  );
  byId('journal-empty', HTMLElement).hidden = clears.length > 0;
}
