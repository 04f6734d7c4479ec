// What the service tells observers (metrics, the event stream) as it works.
import { EventEmitter } from 'node:events';
import type { ClearRecord } from '../domain/clearRecord.ts';
import type { OutcomeErrorCode } from '../domain/errors.ts';
import type { LifecycleState } from '../domain/lifecycle.ts';
import type { ClearAnswer } from './answers.ts';
import type { ClearProgress } from './clearOptions.ts';

export interface ServiceEventMap {
  clear_progress: ClearProgress & { job_id: string | null };
  // Every finished clear attempt: its answer, or the code it was refused with.
  clear_done: {
    run_path: string;
    job_id: string | null;
    actor: string;
    answer: ClearAnswer | null;
    error: { code: OutcomeErrorCode; message: string } | null;
    record: ClearRecord | null;
  };
  // A clear's journal record could not be written: only the log keeps it.
  journal_write_failed: { run_path: string };
  run_state: { run_path: string; from: LifecycleState; to: LifecycleState };
  sweep_done: {
    cleared: number;
    skipped: number;
    failed: number;
    duration_ms: number;
    // Runs left for later, by the code that refused them.
    skipped_by_reason: Record<string, number>;
  };
}

type ServiceEventName = keyof ServiceEventMap;

export class ServiceEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit<N extends ServiceEventName>(name: N, payload: ServiceEventMap[N]): void {
    this.emitter.emit(name, payload);
  }

  on<N extends ServiceEventName>(name: N, listener: (payload: ServiceEventMap[N]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
