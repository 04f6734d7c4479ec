import { describe, expect, it } from 'vitest';
import { parseIngestText } from '../../src/domain/ingestRecord.ts';
import { ingestMismatches, originOf } from '../../src/domain/runOrigin.ts';
import { resolveRunPath } from '../../src/domain/runPath.ts';
import { ingestFor } from '../helpers/stagingTree.ts';

const ROOT = '/srv/staging';
const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';

const viewOf = (runPath: string, extra: Record<string, unknown> = {}) =>
  parseIngestText(JSON.stringify({ ...ingestFor(runPath), ...extra })).view;

describe('the origin of a run', () => {
  it('takes equipment, project and kind from the folders, for each layout', () => {
    expect(originOf(resolveRunPath(RUN, ROOT))).toEqual({
      equipment_id: 'CONFOCAL_01',
      project_id: 'PROJ-0042',
      run_kind: 'experimental',
    });
    expect(originOf(resolveRunPath('EQ/P/TestRuns/TestRun_1', ROOT))).toMatchObject({ run_kind: 'test' });
    expect(originOf(resolveRunPath('TECAN_02/PROJ-0007/Run_2025-11-02T08-00', ROOT))).toEqual({
      equipment_id: 'TECAN_02',
      project_id: 'PROJ-0007',
      run_kind: 'experimental',
    });
  });

  it('flags nothing when ingest.json agrees with the folders', () => {
    expect(ingestMismatches(viewOf(RUN), resolveRunPath(RUN, ROOT))).toEqual([]);
  });

  it('flags each field ingest.json states otherwise: equipment, kind and run path', () => {
    const location = resolveRunPath(RUN, ROOT);
    expect(ingestMismatches(viewOf(RUN, { equipment_id: 'OTHER_EQ' }), location)).toEqual(['equipment_id']);
    expect(ingestMismatches(viewOf(RUN, { run_kind: 'test' }), location)).toEqual(['run_kind']);
    expect(ingestMismatches(viewOf('EQ/P/Runs/Run_elsewhere'), location)).toEqual(['equipment_id', 'run_path']);
  });
});
