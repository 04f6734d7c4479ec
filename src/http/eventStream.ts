// One Server-Sent Events client. Writes never wait for the client: while its
// socket is full, later events queue, a newer progress event replacing the
// older one of the same run, and the queue is bounded (the oldest go first),
// so a slow client costs little memory and never slows a clear.
import type { Writable } from 'node:stream';

export const MAX_BACKLOG = 500;

export class EventStream {
  private readonly backlog = new Map<string, string>();
  private sequence = 0;
  dropped = 0;

  constructor(private readonly output: Writable) {
    output.on('drain', () => this.flush());
  }

  // Events with the same coalesce key replace each other while queued.
  send(event: string, data: unknown, coalesceKey?: string): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, coalesceKey);
  }

  comment(text: string): void {
    if (this.backlog.size === 0 && !this.output.writableNeedDrain) this.output.write(`: ${text}\n\n`);
  }

  get queued(): number {
    return this.backlog.size;
  }

  // Whether the client has stopped taking what is written (its socket is full).
  get stalled(): boolean {
    return this.output.writableNeedDrain;
  }

  end(): void {
    this.output.end();
  }

  private write(frame: string, coalesceKey: string | undefined): void {
    if (this.backlog.size === 0 && !this.output.writableNeedDrain) {
      this.output.write(frame);
      return;
    }
    const key = coalesceKey ?? `event-${this.sequence++}`;
    this.backlog.delete(key);
    this.backlog.set(key, frame);
    for (const oldest of this.backlog.keys()) {
      if (this.backlog.size <= MAX_BACKLOG) break;
      this.backlog.delete(oldest);
      this.dropped += 1;
    }
  }

  private flush(): void {
    for (const [key, frame] of this.backlog) {
      this.backlog.delete(key);
      if (!this.output.write(frame)) return;
    }
  }
}
