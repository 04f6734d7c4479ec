// The one dialog every clear goes through: what a dry run says would go,
// a confirmation, then the job's progress to its end, or the API's refusal.
// Each opening is a session of its own: a clear hidden while its job runs
// does not write into the dialog once another clear has opened it.
import { byId, replaceChildren, type Child } from './dom.ts';
import { formatBytes, formatCount } from './format.ts';
import type { JobProgress } from './jobWatch.ts';

export interface ClearSession {
  show(...children: Child[]): void;
  // Shows the Confirm button; resolves with whether it was pressed.
  ask(label: string): Promise<boolean>;
  // While a job runs: its progress bar (indeterminate while the total is unknown).
  running(progress: JobProgress): void;
  // The end: what happened, and a button to close.
  done(...children: Child[]): void;
}

export class ClearDialog {
  private readonly dialog = byId('clear-dialog', HTMLDialogElement);
  private readonly title = byId('clear-title', HTMLElement);
  private readonly body = byId('clear-body', HTMLElement);
  private readonly progress = byId('clear-progress', HTMLProgressElement);
  private readonly progressText = byId('clear-progress-text', HTMLElement);
  private readonly confirm = byId('clear-confirm', HTMLButtonElement);
  private readonly close = byId('clear-close', HTMLButtonElement);
  private answer: ((confirmed: boolean) => void) | null = null;
  private sessions = 0;

  constructor() {
    this.confirm.addEventListener('click', () => this.settle(true));
    this.close.addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => this.settle(false));
  }

  open(title: string): ClearSession {
    const session = ++this.sessions;
    const live = (): boolean => session === this.sessions;
    this.title.textContent = title;
    this.show('Checking what would go (a dry run; nothing is deleted)…');
    this.progress.hidden = true;
    this.progressText.textContent = '';
    this.confirm.hidden = true;
    this.close.textContent = 'Cancel';
    if (!this.dialog.open) this.dialog.showModal();
    return {
      show: (...children) => live() && this.show(...children),
      ask: (label) => (live() && this.dialog.open ? this.ask(label) : Promise.resolve(false)),
      running: (progress) => live() && this.running(progress),
      done: (...children) => live() && this.done(...children),
    };
  }

  private show(...children: Child[]): void {
    replaceChildren(this.body, ...children);
  }

  private ask(label: string): Promise<boolean> {
    this.confirm.textContent = label;
    this.confirm.hidden = false;
    this.confirm.disabled = false;
    this.confirm.focus();
    return new Promise((resolve) => {
      this.answer = resolve;
    });
  }

  private running(progress: JobProgress): void {
    this.confirm.disabled = true;
    this.close.textContent = 'Hide';
    this.progress.hidden = false;
    if (progress.filesTotal === null) this.progress.removeAttribute('value');
    else {
      this.progress.max = progress.filesTotal;
      this.progress.value = Math.min(progress.filesFreed, progress.filesTotal);
    }
    const total = progress.filesTotal === null ? '' : ` of ${formatCount(progress.filesTotal)}`;
    this.progressText.textContent = `${formatCount(progress.filesFreed)}${total} files deleted, ${formatBytes(progress.bytesFreed)} freed`;
  }

  private done(...children: Child[]): void {
    this.show(...children);
    this.confirm.hidden = true;
    this.close.textContent = 'Close';
    this.close.focus();
  }

  private settle(confirmed: boolean): void {
    const answer = this.answer;
    this.answer = null;
    answer?.(confirmed);
  }
}
