// The service's event stream (/api/v1/events), kept open while the page is:
// it tells when runs change state and how far each clear has gone. Recent
// events are kept, so that a job learnt of after its first events (its 202
// answer can come after them) still sees them.
import { eventStreamUrl } from './api.ts';
import type { ClearDoneEvent, ClearProgressEvent } from './apiTypes.ts';

export type LiveEvent =
  | { name: 'clear_progress'; data: ClearProgressEvent }
  | { name: 'clear_done'; data: ClearDoneEvent }
  | { name: 'run_state'; data: { run_path: string } };

type Listener = (event: LiveEvent) => void;

const KEPT_EVENTS = 500;
const NAMES = ['clear_progress', 'clear_done', 'run_state'] as const;

export class LiveEvents {
  private source: EventSource | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly recent: LiveEvent[] = [];

  // (Re)connects, with the token as it is now.
  open(): void {
    this.source?.close();
    const source = new EventSource(eventStreamUrl());
    for (const name of NAMES) {
      source.addEventListener(name, (message) => this.dispatch({ name, data: JSON.parse(message.data) } as LiveEvent));
    }
    this.source = source;
  }

  // Calls `listener` with every event from now on, after the kept ones when
  // `replay` is set; returns what stops it.
  listen(listener: Listener, replay = false): () => void {
    if (replay) for (const event of this.recent) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(event: LiveEvent): void {
    this.recent.push(event);
    if (this.recent.length > KEPT_EVENTS) this.recent.shift();
    for (const listener of this.listeners) listener(event);
  }
}
