// Small measuring tools for the benchmark: timings, medians, percentiles,
// a process's peak memory, and a command's wall time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export async function timed(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export function timedCommand(command: string, args: string[]): Promise<number> {
  return timed(() => execFileSync(command, args, { stdio: 'ignore' }));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  return kib / 1024;
}

// Peak resident set size of a process, all its threads included (VmHWM).
export function peakRssMiB(pid: number): number {
  return statusMiB(pid, 'VmHWM');
}

// Its resident set size now (VmRSS).
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

// Starts the peak over again from the size now (Linux: clear_refs 5).
export function resetPeakRss(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

// Flushes dirty pages, so that every timed case starts from a settled disk.
export function settleDisk(): void {
  execFileSync('sync');
}
