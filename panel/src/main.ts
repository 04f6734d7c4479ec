// The staging panel: the page's start and its wiring. It asks who this
// caller is (a token when the service has tokens), then shows the runs,
// health, the journal on demand, and keeps them fresh from the event stream.
import { ApiError, get, getHealth, token } from './api.ts';
import type { Capacity, Health, Listing, Whoami } from './apiTypes.ts';
import { ClearDialog } from './clearDialog.ts';
import { ClearFlows } from './clearFlows.ts';
import type { TableContext } from './columns.ts';
import { byId } from './dom.ts';
import { showJournal } from './journalView.ts';
import { LiveEvents } from './liveEvents.ts';
import { refusalBlock, errorBodyOf } from './refusal.ts';
import { RunTable } from './runTable.ts';
import { askForToken } from './tokenPrompt.ts';
import { singleFlight } from './singleFlight.ts';
import { showVolume } from './volumeView.ts';

const events = new LiveEvents();
const table = new RunTable();
const flows = new ClearFlows(new ClearDialog(), events);
const clearAll = byId('clear-verified', HTMLButtonElement);
let whoami: Whoami | null = null;

function clearBlocked(who: Whoami): string | null {
  return who.scope === 'clear' ? null : `The token of ${who.actor} has scope read: it may look, not clear.`;
}

// One refresh at a time; those asked for meanwhile become one more.
const refresh = singleFlight(async () => {
  if (!whoami) return;
  const [listing, health, capacity] = await Promise.all([
    get<Listing>('api/v1/staging'),
    getHealth(),
    // The runs matter more than the gauge: a volume that cannot be measured leaves it out.
    get<Capacity>('api/v1/staging/capacity').catch(() => null),
  ]);
  const context: TableContext = {
    now: Date.now(),
    mode: whoami.mode,
    clearBlocked: clearBlocked(whoami),
    onClear: (row) => void flows.clearRun(row).then(refresh).catch(showLoadError),
  };
  table.show(listing, context);
  showHealth(health);
  if (capacity) showVolume(capacity);
  byId('load-error', HTMLElement).hidden = true;
});

function showHealth(health: Health): void {
  const pill = byId('health', HTMLElement);
  pill.textContent = health.status === 'ready' ? 'ready' : 'not ready';
  pill.className = `pill health-${health.status}`;
  pill.title = Object.entries(health.checks)
    .map(([name, check]) => `${name}: ${check.message}`)
    .join('\n');
}

function showWho(who: Whoami): void {
  byId('who', HTMLElement).textContent = `${who.actor} (${who.scope})`;
  byId('mode', HTMLElement).textContent =
    who.mode === 'manual'
      ? 'Manual mode: runs are cleared only when someone clears them here or through the API.'
      : `Scheduled mode: the sweep clears verified runs ${who.retain_hours} h after verification.`;
  const blocked = clearBlocked(who);
  clearAll.disabled = blocked !== null;
  clearAll.textContent = who.mode === 'manual' ? 'Clear verified runs (manual)' : 'Clear verified runs now';
  clearAll.title = blocked ?? 'Asks a dry run first and shows what would go.';
  const notice = byId('scope-notice', HTMLElement);
  notice.hidden = blocked === null;
  notice.textContent = blocked ? `${blocked} The Clear buttons are off: forget this token and give one of scope clear to use them.` : '';
}

// Who this caller is; with tokens configured, asks for one until the service knows it.
async function signIn(): Promise<Whoami> {
  for (;;) {
    try {
      return await get<Whoami>('api/v1/whoami');
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'unauthorized') throw error;
      const rejected = token.get() !== null;
      token.forget();
      token.set(await askForToken(rejected ? error.message : null));
    }
  }
}

async function start(): Promise<void> {
  whoami = await signIn();
  showWho(whoami);
  byId('sign-out', HTMLButtonElement).hidden = token.get() === null;
  events.open();
  await refresh();
}

function showLoadError(error: unknown): void {
  const box = byId('load-error', HTMLElement);
  box.replaceChildren(refusalBlock(errorBodyOf(error)));
  box.hidden = false;
}

let pending: number | undefined;
// Runs change state in bursts (a bulk clear): refresh once per burst.
function refreshSoon(): void {
  clearTimeout(pending);
  pending = window.setTimeout(() => void refresh().catch(showLoadError), 300);
}

events.listen((event) => {
  if (event.name !== 'clear_progress') refreshSoon();
});
clearAll.addEventListener('click', () => void flows.clearVerified().then(refresh).catch(showLoadError));
byId('sign-out', HTMLButtonElement).addEventListener('click', () => {
  token.forget();
  location.reload();
});
for (const [button, view] of [['show-runs', 'runs-view'], ['show-journal', 'journal-view']] as const) {
  byId(button, HTMLButtonElement).addEventListener('click', () => {
    for (const other of ['runs-view', 'journal-view']) byId(other, HTMLElement).hidden = other !== view;
    for (const other of ['show-runs', 'show-journal']) byId(other, HTMLElement).setAttribute('aria-pressed', String(other === button));
    if (view === 'journal-view') void showJournal().catch(showLoadError);
  });
}
start().catch(showLoadError);
