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

// Peak resident set size of a process, all its threads included (VmHWM).
export function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
  return kib / 1024;
}

// Flushes dirty pages, so that every timed case starts from a settled disk.
export function settleDisk(): void {
  execFileSync('sync');
}
