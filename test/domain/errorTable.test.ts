import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/domain/errorTable.ts';
import { CleanupError, toErrorBody } from '../../src/domain/errors.ts';

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
});
