// One Server-Sent Events client. Writes never wait for the client: while its
// socket is full, later events queue, a newer progress event replacing the
// older one of the same run. The queue is bounded in bytes: a client that
// falls so far behind that it would pass the bound is dropped, with a last
// `dropped` event saying why (read once it reads again). So an idle client
// costs at most the bound plus its socket's buffer, and never slows a clear.
import type { Writable } from 'node:stream';

// How long a dropped EventSource waits before it connects again.
const RECONNECT_AFTER_MS = 30_000;

export class EventStream {
  private readonly backlog = new Map<string, string>();
  private backlogBytes = 0;
  private sequence = 0;
  private isDropped = false;

  constructor(
    private readonly output: Writable,
    private readonly maxBacklogBytes: number,
    // Called once, when the client is dropped (its last event is written).
    private readonly onDropped: () => void,
  ) {
    output.on('drain', () => this.flush());
  }

  // Events with the same coalesce key replace each other while queued.
  send(event: string, data: unknown, coalesceKey?: string): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, coalesceKey);
  }

  comment(text: string): void {
    if (this.backlog.size === 0 && !this.output.writableNeedDrain) this.output.write(`: ${text}\n\n`);
  }

  get queuedBytes(): number {
    return this.backlogBytes;
  }

  get dropped(): boolean {
    return this.isDropped;
  }

  end(): void {
    this.output.end();
  }

  private write(frame: string, coalesceKey: string | undefined): void {
    if (this.dropped) return;
    if (this.backlog.size === 0 && !this.output.writableNeedDrain) {
      this.output.write(frame);
      return;
    }
    const key = coalesceKey ?? `event-${this.sequence++}`;
    const replaced = this.backlog.get(key);
    if (replaced !== undefined) {
      this.backlog.delete(key);
      this.backlogBytes -= Buffer.byteLength(replaced);
    }
    const size = Buffer.byteLength(frame);
    if (this.backlogBytes + size > this.maxBacklogBytes) {
      this.drop(this.backlogBytes + size);
      return;
    }
    this.backlog.set(key, frame);
    this.backlogBytes += size;
  }

  private flush(): void {
    for (const [key, frame] of this.backlog) {
      this.backlog.delete(key);
      this.backlogBytes -= Buffer.byteLength(frame);
      if (!this.output.write(frame)) return;
    }
  }

  private drop(wouldQueue: number): void {
    this.isDropped = true;
    this.backlog.clear();
    this.backlogBytes = 0;
    const last = {
      reason: 'too_far_behind',
      message:
        `This client fell more than ${this.maxBacklogBytes} bytes of events behind (events.client_backlog_kib), so the stream ` +
        `was closed and those events are lost. Connect again and read events as they come; GET /api/v1/jobs and /api/v1/staging tell the state now.`,
      backlog_bytes: wouldQueue,
    };
    this.output.end(`retry: ${RECONNECT_AFTER_MS}\nevent: dropped\ndata: ${JSON.stringify(last)}\n\n`);
    this.onDropped();
  }
}
