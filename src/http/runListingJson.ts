// The listing's body, written from text kept per row: a row object stays the
// same while its run is unchanged (service/runQueries.ts brings only its
// elapsed seconds up to the time), so each row is turned into JSON once,
// around that one number, rather than on every listing of thousands of runs.
import type { RunListing } from '../service/answers.ts';

type Row = RunListing['runs'][number];

const ELAPSED = 'elapsed_seconds_since_last_activity';
// A key JSON writes once per row, outside any string (where a quote is escaped).
const MARK = `"${ELAPSED}":0`;
const textAround = new WeakMap<Row, [string, string]>();

function rowJson(row: Row): string {
  let parts = textAround.get(row);
  if (!parts) {
    const text = JSON.stringify({ ...row, [ELAPSED]: 0 });
    const at = text.indexOf(MARK) + MARK.length - 1;
    parts = [text.slice(0, at), text.slice(at + 1)];
    textAround.set(row, parts);
  }
  return parts[0] + String(row[ELAPSED]) + parts[1];
}

export function runListingJson(listing: RunListing): string {
  return `{"runs":[${listing.runs.map(rowJson).join(',')}],"problems":${JSON.stringify(listing.problems)}}`;
}
