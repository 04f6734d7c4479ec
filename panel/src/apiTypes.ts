// The parts of the API's answers the panel reads. test/panel/apiTypes.test.ts
// checks them against the service's own schemas, so a change of the API that
// the panel would not understand fails the type check.
export interface RunRow {
  run_path: string;
  current_state: string;
  equipment_id: string;
  project_name: string;
  run_kind: string;
  ingest_mismatch: string[];
  file_count: number;
  byte_total: number;
  files_to_free: number;
  bytes_to_free: number;
  clearable: boolean;
  eligible_at: string | null;
  verified_at: string | null;
  reason: string;
}

export interface RunProblem {
  run_path: string;
  code: string;
  message: string;
  // For not_a_folder: file, fifo, socket, block_device or char_device.
  entry_type?: string;
}

export interface Listing {
  runs: RunRow[];
  problems: RunProblem[];
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export interface ClearAnswer {
  run_path: string;
  outcome: string;
  files_freed: number;
  bytes_freed: number;
}

export type RunResult = ClearAnswer | { run_path: string; error: ErrorBody };

export interface Job {
  id: string;
  state: string;
  runs_cleared: number;
  runs_failed: number;
  files_freed: number;
  bytes_freed: number;
  files_total: number | null;
  finished_at: string | null;
  results: RunResult[] | null;
  error: ErrorBody | null;
}

export interface ClearRecord {
  run_path: string;
  cleared_at: string;
  actor: string;
  files_freed: number;
  bytes_freed: number;
  duration_ms: number;
  outcome: string;
  resumed: boolean;
}

export interface Health {
  status: string;
  checks: Record<string, { ok: boolean; message: string }>;
}

export interface Whoami {
  actor: string;
  scope: 'read' | 'clear';
  mode: 'manual' | 'scheduled';
  retain_hours: number;
}

// Events of /api/v1/events, by name.
export interface ClearProgressEvent {
  run_path: string;
  job_id: string | null;
  files_freed: number;
  bytes_freed: number;
  files_total: number | null;
}

export interface ClearDoneEvent {
  run_path: string;
  job_id: string | null;
  outcome: string;
}

export interface ClassTotals {
  bytes: number;
  files: number;
  runs: number;
}

export interface ForecastHour {
  starts_at: string;
  bytes: number;
  runs: number;
}

export interface Capacity {
  volume: { size_bytes: number; used_bytes: number; avail_bytes: number; used_percent: number };
  volume_message: string;
  staged: { clearable: ClassTotals; retained: ClassTotals; unverified: ClassTotals; interrupted: ClassTotals };
  forecast: {
    retain_hours: number;
    hours: ForecastHour[];
    later_bytes: number;
    pressure: { min_retain_hours: number; hours: ForecastHour[] } | null;
  };
  fill: { message: string; filling: boolean; hours_to_full: number | null };
  pressure: { high_water_percent: number; target_percent: number; past_high_water: boolean } | null;
  volume_full: boolean;
  clearable_by_hand: { runs: number; bytes: number; pressure_sweep_at: string | null };
  largest_unverified: Array<{ run_path: string; bytes: number }>;
}
