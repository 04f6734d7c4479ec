// Where a run lives says what it is: its equipment and project folders, and
// its kind (Runs/ or TestRuns/). ingest.json repeats these, but whoever writes
// it could claim another equipment to steer a filter or the journal; the
// folders win, and a row flags each field where ingest.json disagrees.
import type { IngestView, RunKind } from './ingestSchema.ts';
import type { RunLocation } from './runPath.ts';

export interface RunOrigin {
  equipment_id: string;
  project_id: string;
  run_kind: RunKind;
}

export const ORIGIN_FIELDS = ['equipment_id', 'run_kind', 'run_path'] as const;
type OriginField = (typeof ORIGIN_FIELDS)[number];

export function originOf(location: RunLocation): RunOrigin {
  const [equipment = '', project = ''] = location.runPath.split('/');
  return { equipment_id: equipment, project_id: project, run_kind: location.runKind };
}

// The fields ingest.json states otherwise than the run's place does.
export function ingestMismatches(view: IngestView, location: RunLocation): OriginField[] {
  const origin = originOf(location);
  const stated: Record<OriginField, string> = {
    equipment_id: view.equipment_id,
    run_kind: view.run_kind,
    run_path: view.run_path,
  };
  const actual: Record<OriginField, string> = { ...origin, run_path: location.runPath };
  return ORIGIN_FIELDS.filter((field) => stated[field] !== actual[field]);
}
