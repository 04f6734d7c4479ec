// The columns of the runs table, in order: adding a column is one line here.
// `sortBy` makes a column sortable (by that number); `shown` hides it when
// it does not apply.
import type { RunRow, Whoami } from './apiTypes.ts';
import { el, type Child } from './dom.ts';
import { formatBytes, formatCount, formatSpan, reasonInWords, secondsSince } from './format.ts';

export interface TableContext {
  now: number;
  mode: Whoami['mode'] | null;
  // Why this caller may not clear, or null when it may.
  clearBlocked: string | null;
  onClear: (row: RunRow) => void;
}

export interface Column {
  label: string;
  cell: (row: RunRow, context: TableContext) => Child;
  sortBy?: (row: RunRow, now: number) => number;
  numeric?: boolean;
  shown?: (context: TableContext) => boolean;
}

const age = (row: RunRow, now: number): number => (row.verified_at ? secondsSince(row.verified_at, now) : -1);

export const COLUMNS: Column[] = [
  { label: 'State', cell: stateCell },
  { label: 'Run', cell: (row) => el('span', { className: 'run', title: row.run_path }, row.run_path.split('/').at(-1) ?? '') },
  { label: 'Equipment', cell: equipmentCell },
  { label: 'Project', cell: (row) => row.project_name },
  { label: 'Kind', cell: (row) => row.run_kind },
  { label: 'Files', cell: (row) => formatCount(row.file_count), numeric: true },
  { label: 'Size', cell: (row) => formatBytes(row.byte_total), sortBy: (row) => row.byte_total, numeric: true },
  { label: 'Frees', cell: freesCell, sortBy: (row) => row.bytes_to_free, numeric: true },
  { label: 'Verified', cell: verifiedCell, sortBy: age },
  { label: 'Why', cell: (row) => el('span', { title: row.reason }, reasonInWords(row.reason)) },
  { label: 'Due', cell: dueCell, shown: ({ mode }) => mode === 'scheduled' },
  { label: '', cell: clearButton },
];

// How long ago the run was verified; a time ahead of the clock says so.
function verifiedCell(row: RunRow, { now }: TableContext): Child {
  if (!row.verified_at) return '—';
  const seconds = age(row, now);
  return seconds >= 0 ? `${formatSpan(seconds)} ago` : `in ${formatSpan(-seconds)}`;
}

// The state ingest.json gives, marked when its history says otherwise.
function stateCell(row: RunRow): Child {
  const pill = el('span', { className: `pill state-${row.current_state}` }, row.current_state.replace('_', ' '));
  if (row.reason !== 'ingest_inconsistent') return pill;
  const title = "ingest.json's current_state disagrees with its history: nothing is cleared until the record is fixed";
  return el('span', {}, pill, ' ', el('span', { className: 'mismatch', title }, '≠ history'));
}

// The equipment folder the run lives in, marked when its ingest.json claims otherwise.
function equipmentCell(row: RunRow): Child {
  if (row.ingest_mismatch.length === 0) return row.equipment_id;
  const title = `ingest.json disagrees with the run's folders on: ${row.ingest_mismatch.join(', ')}`;
  return el('span', {}, row.equipment_id, ' ', el('span', { className: 'mismatch', title }, '≠ ingest.json'));
}

// What a clear would free: every file under the run, .exlab-wizard/ included.
function freesCell(row: RunRow): Child {
  return el('span', { title: `${formatCount(row.files_to_free)} files` }, formatBytes(row.bytes_to_free));
}

// When the sweep may clear the run (scheduled mode).
function dueCell(row: RunRow, { now }: TableContext): Child {
  if (!row.eligible_at || !row.clearable) return '—';
  const wait = -secondsSince(row.eligible_at, now);
  return el('span', { title: row.eligible_at }, wait > 0 ? `in ${formatSpan(wait)}` : 'now');
}

function clearButton(row: RunRow, context: TableContext): Child {
  if (!row.clearable) return null;
  const manual = context.mode === 'manual' ? 'Clear now (manual mode: nothing is cleared unless someone does)' : 'Clear now';
  return el(
    'button',
    {
      type: 'button',
      className: 'clear',
      disabled: context.clearBlocked !== null,
      title: context.clearBlocked ?? manual,
      dataset: { runPath: row.run_path },
      onClick: () => context.onClear(row),
    },
    'Clear',
  );
}
