// The runs table: the listing's rows through the state and equipment
// filters, sorted by a column when one is chosen (else as the API orders
// them: newest activity first), and the runs that cannot be read apart.
// Filters and sorting take every row; the table draws them a page at a time
// (a site may stage thousands of runs), with a button for the next page.
import type { Listing, RunRow } from './apiTypes.ts';
import { COLUMNS, type Column, type TableContext } from './columns.ts';
import { byId, el, replaceChildren } from './dom.ts';
import { formatBytes, formatCount, plural } from './format.ts';

const ALL = '';
const PAGE_ROWS = 200;

export class RunTable {
  private listing: Listing = { runs: [], problems: [] };
  private context: TableContext | null = null;
  private sort: { column: Column; descending: boolean } | null = null;
  // How many of the rows that pass the filters are drawn.
  private drawnRows = PAGE_ROWS;
  private readonly stateFilter = byId('filter-state', HTMLSelectElement);
  private readonly equipmentFilter = byId('filter-equipment', HTMLSelectElement);

  constructor() {
    for (const filter of [this.stateFilter, this.equipmentFilter]) filter.addEventListener('change', () => this.redraw());
    byId('runs-more', HTMLButtonElement).addEventListener('click', () => {
      this.drawnRows += PAGE_ROWS;
      this.draw();
    });
  }

  // From the first page again: what is shown was re-chosen.
  private redraw(): void {
    this.drawnRows = PAGE_ROWS;
    this.draw();
  }

  show(listing: Listing, context: TableContext): void {
    this.listing = listing;
    this.context = context;
    fillOptions(this.stateFilter, listing.runs.map((row) => row.current_state), 'every state');
    fillOptions(this.equipmentFilter, listing.runs.map((row) => row.equipment_id), 'all equipment');
    this.draw();
    this.drawProblems();
  }

  private visibleRows(): RunRow[] {
    const rows = this.listing.runs.filter(
      (row) =>
        (this.stateFilter.value === ALL || row.current_state === this.stateFilter.value) &&
        (this.equipmentFilter.value === ALL || row.equipment_id === this.equipmentFilter.value),
    );
    const sort = this.sort;
    const sortBy = sort?.column.sortBy;
    const now = this.context?.now ?? Date.now();
    if (!sort || !sortBy) return rows;
    return rows.sort((a, b) => (sortBy(a, now) - sortBy(b, now)) * (sort.descending ? -1 : 1));
  }

  private draw(): void {
    const context = this.context;
    if (!context) return;
    const columns = COLUMNS.filter((column) => column.shown?.(context) ?? true);
    const rows = this.visibleRows();
    const drawn = rows.slice(0, this.drawnRows);
    replaceChildren(byId('runs-head', HTMLTableSectionElement), el('tr', {}, ...columns.map((column) => this.header(column))));
    replaceChildren(
      byId('runs-body', HTMLTableSectionElement),
      ...drawn.map((row) =>
        el(
          'tr',
          { dataset: { runPath: row.run_path } },
          ...columns.map((column) => el('td', { className: column.numeric ? 'num' : '' }, column.cell(row, context))),
        ),
      ),
      rows.length === 0 && el('tr', {}, emptyCell(columns.length)),
    );
    const bytes = rows.reduce((total, row) => total + row.byte_total, 0);
    byId('summary', HTMLElement).textContent = `${plural(rows.length, 'run')}, ${formatBytes(bytes)}`;
    const more = rows.length - drawn.length;
    byId('runs-paging', HTMLElement).hidden = more === 0;
    byId('runs-shown', HTMLElement).textContent = `Showing ${formatCount(drawn.length)} of ${plural(rows.length, 'run')}.`;
    byId('runs-more', HTMLButtonElement).textContent = `Show ${plural(Math.min(more, PAGE_ROWS), 'more run')}`;
  }

  private header(column: Column): HTMLTableCellElement {
    const cell = el('th', { className: column.numeric ? 'num' : '' });
    if (!column.sortBy) {
      cell.append(column.label);
      return cell;
    }
    const active = this.sort?.column === column;
    const descending = active && this.sort?.descending === true;
    cell.setAttribute('aria-sort', active ? (descending ? 'descending' : 'ascending') : 'none');
    const arrow = active ? (descending ? ' ▼' : ' ▲') : '';
    cell.append(
      el(
        'button',
        {
          type: 'button',
          className: 'sort',
          title: `Sort by ${column.label.toLowerCase()}`,
          onClick: () => {
            this.sort = { column, descending: active ? !descending : true };
            this.redraw();
          },
        },
        `${column.label}${arrow}`,
      ),
    );
    return cell;
  }

  private drawProblems(): void {
    const { problems } = this.listing;
    byId('problems-section', HTMLElement).hidden = problems.length === 0;
    replaceChildren(
      byId('problems-body', HTMLTableSectionElement),
      ...problems.map((problem) =>
        el(
          'tr',
          {},
          el('td', {}, problem.run_path),
          el('td', {}, el('code', {}, problem.code), problem.entry_type ? ` (${problem.entry_type})` : null),
          el('td', {}, problem.message),
        ),
      ),
    );
  }
}

// The values present, keeping the one chosen.
function fillOptions(select: HTMLSelectElement, values: string[], allLabel: string): void {
  const chosen = select.value;
  const distinct = [...new Set(values)].sort();
  const options = [el('option', {}, allLabel), ...distinct.map((value) => el('option', {}, value))];
  options[0]?.setAttribute('value', ALL);
  replaceChildren(select, ...options);
  select.value = distinct.includes(chosen) ? chosen : ALL;
}

function emptyCell(span: number): HTMLTableCellElement {
  const cell = el('td', { className: 'empty' }, 'No staged runs match.');
  cell.colSpan = span;
  return cell;
}
