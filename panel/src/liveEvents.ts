// The service's event stream (/api/v1/events), kept open while the page is:
// it tells when runs change state and how far each clear has gone. Recent
// events are kept, so that a job learnt of after its first events (its 202
// answer can come after them) still sees them. Read with fetch, its token
// in the Authorization header (an EventSource could only put it in the URL,
// where an access log keeps it); reconnects as an EventSource would, unless
// the service refuses the stream.
import { authorization } from './api.ts';
import type { ClearDoneEvent, ClearProgressEvent } from './apiTypes.ts';

export type LiveEvent =
  | { name: 'clear_progress'; data: ClearProgressEvent }
  | { name: 'clear_done'; data: ClearDoneEvent }
  | { name: 'run_state'; data: { run_path: string } };

type Listener = (event: LiveEvent) => void;

const KEPT_EVENTS = 500;
const RETRY_MS = 2000;
const NAMES = ['clear_progress', 'clear_done', 'run_state'] as const;

export class LiveEvents {
  private connection: AbortController | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly recent: LiveEvent[] = [];

  // (Re)connects, with the token as it is now.
  open(): void {
    this.connection?.abort();
    const connection = new AbortController();
    this.connection = connection;
    void this.read(connection.signal);
  }

  // Reads the stream until it is aborted or refused; a dropped connection is
  // opened again after RETRY_MS.
  private async read(signal: AbortSignal): Promise<void> {
    try {
      const response = await fetch('api/v1/events', { headers: { accept: 'text/event-stream', ...authorization() }, signal });
      if (!response.ok || !response.body) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        buffer += chunk.value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          this.frame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Dropped (or aborted: then no retry below).
    }
    if (!signal.aborted) setTimeout(() => signal.aborted || void this.read(signal), RETRY_MS);
  }

  // One event of the stream (`event:` and `data:` lines); comments are heartbeats.
  private frame(text: string): void {
    const lines = text.split('\n');
    const name = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
    const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
    const known = NAMES.find((each) => each === name);
    if (known && data) this.dispatch({ name: known, data: JSON.parse(data) } as LiveEvent);
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
