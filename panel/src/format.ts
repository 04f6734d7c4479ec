// Numbers, times and reasons in words, as a person reads them.
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

// "3 h", "2 d 4 h": a span of time, coarsely.
export function formatSpan(seconds: number): string {
  const minutes = Math.floor(Math.abs(seconds) / 60);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

// Seconds from an API timestamp until now (negative when it is ahead).
export function secondsSince(timestamp: string, now = Date.now()): number {
  return (now - Date.parse(timestamp)) / 1000;
}

export function formatTime(timestamp: string): string {
  return new Date(timestamp).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// The eligibility reasons in words, for the table (the API's message says more).
const REASONS: Record<string, string> = {
  eligible: 'Due: the next sweep clears it',
  manual_mode: 'Verified; clears are manual',
  retain_window: 'Verified; kept for the retain window',
  missing_verified_timestamp: 'Verified, without a time: fix the record',
  verified_time_unparsable: 'Verified at a time that cannot be read: fix the record',
  not_sync_verified: 'Not verified on the NAS yet',
  ingest_inconsistent: 'ingest.json contradicts itself: fix the record',
  verified_in_future: 'Verified "in the future": check the clocks',
  clear_interrupted: 'A clear was interrupted: clear again to finish',
  unsynced_files: 'Has files that are not on the NAS',
  manifest_invalid: 'Its checksum manifest cannot be used',
  survey_failed: 'Could not be read whole',
  nas_copy_mismatch: 'The NAS copy differs',
  nas_unreachable: 'The NAS cannot be checked',
  run_name_too_long: 'Its folder name is too long to lock (over 233 bytes)',
  staging_permission_denied: 'This service may not delete here (permissions)',
};

export function reasonInWords(reason: string): string {
  return REASONS[reason] ?? reason.replaceAll('_', ' ');
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
