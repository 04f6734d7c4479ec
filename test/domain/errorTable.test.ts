import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/domain/errorTable.ts';
import { CleanupError, toErrorBody } from '../../src/domain/errors.ts';
import { jobErrorSchema } from '../../src/service/answers.ts';

describe('the error table', () => {
  it('fills a code’s template and keeps its details, as the client sees them', () => {
    const error = new CleanupError(
      'survey_failed',
      { runPath: 'EQ/P/Runs/Run_1', why: 'raw cannot be read: EACCES' },
      { details: { path: 'raw', error_code: 'EACCES' } },
    );
    expect(toErrorBody(error)).toEqual({
      code: 'survey_failed',
      message: ERROR_TABLE.survey_failed.message({ runPath: 'EQ/P/Runs/Run_1', why: 'raw cannot be read: EACCES' }),
      details: { path: 'raw', error_code: 'EACCES' },
    });
  });

  it('types a throw site’s params and details by the code (checked by npm run typecheck)', () => {
    const wrongDetails = () =>
      // @ts-expect-error: details of another code
      new CleanupError('survey_failed', { runPath: 'r', why: 'w' }, { details: { unsynced_count: 1 } });
    const noDetails = () =>
      // @ts-expect-error: run_not_found carries no details
      new CleanupError('run_not_found', { runPath: 'r' }, { details: { path: 'x' } });
    const wrongParams = () =>
      // @ts-expect-error: the template of invalid_run_path takes `why`
      new CleanupError('invalid_run_path', { problem: 'x' });
    expect([wrongDetails, noDetails, wrongParams].every((make) => make() instanceof CleanupError)).toBe(true);
  });

  it('masks anything that is not a refusal as internal_error, pointing at the trace id', () => {
    expect(toErrorBody(new Error('secret path /etc/x'), 'trace-1')).toEqual({
      code: 'internal_error',
      message: ERROR_TABLE.internal_error.message({ traceId: 'trace-1' }),
    });
  });

  it("keeps every field of a code's details through a job's error, whichever code it is", () => {
    const samples = [
      { code: 'staging_permission_denied', details: { path: '/srv/staging/EQ/P/Runs', error_code: 'EPERM', uid: 1000, gid: 1000 } },
      { code: 'journal_unavailable', details: { journal_dir: '/data/journal', error_code: 'EACCES' } },
      { code: 'survey_failed', details: { path: 'raw', error_code: 'EACCES' } },
      { code: 'ingest_unwritable', details: { error_code: 'EROFS' } },
      { code: 'clear_incomplete', details: { files_freed: 3, bytes_freed: 12, left: [{ path: 'a', code: 'EPERM' }], left_count: 1 } },
    ] as const;
    for (const { code, details } of samples) {
      expect(jobErrorSchema.parse({ code, message: 'm', details })).toEqual({ code, message: 'm', details });
    }
  });
});
