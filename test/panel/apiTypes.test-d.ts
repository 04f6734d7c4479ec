// The panel reads the API through its own types (panel/src/apiTypes.ts, the
// browser build cannot import the service's schemas). A type test: vitest
// runs it through tsc (typecheck in vitest.config.ts), so an answer of the
// service that no longer carries what the panel reads fails npm test.
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as Panel from '../../panel/src/apiTypes.ts';
import type { ClearRecord } from '../../src/domain/clearRecord.ts';
import type { whoamiSchema } from '../../src/http/routes/whoamiRoute.ts';
import type { ClearAnswer, RunListing, RunResult } from '../../src/service/answers.ts';
import type { CapacityAnswer } from '../../src/service/capacityAnswer.ts';
import type { Job } from '../../src/service/jobSchema.ts';
import type { ServiceEventMap } from '../../src/service/serviceEvents.ts';

describe('what the panel reads of the API', () => {
  it('is in what the service answers: listing, clears, jobs, the journal, whoami, progress events', () => {
    expectTypeOf<RunListing>().toExtend<Panel.Listing>();
    expectTypeOf<ClearAnswer>().toExtend<Panel.ClearAnswer>();
    expectTypeOf<RunResult>().toExtend<Panel.RunResult>();
    expectTypeOf<Job>().toExtend<Panel.Job>();
    expectTypeOf<ClearRecord>().toExtend<Panel.ClearRecord>();
    expectTypeOf<z.infer<typeof whoamiSchema>>().toExtend<Panel.Whoami>();
    expectTypeOf<ServiceEventMap['clear_progress']>().toExtend<Panel.ClearProgressEvent>();
    expectTypeOf<CapacityAnswer>().toExtend<Panel.Capacity>();
  });
});
