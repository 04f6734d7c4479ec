// The staging routes (README "The API at a glance"): thin handlers that parse, call the cleanup
// service, and shape the answer. Schemas validate, serialize and document.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clearRecordSchema } from '../../domain/clearRecord.ts';
import { parseTimestamp } from '../../domain/timestamps.ts';
import {
  clearAnswerSchema,
  eligibilitySchema,
  runDetailSchema,
  runListingSchema,
  runResultsSchema,
} from '../../service/answers.ts';
import type { ClearOptions } from '../../service/clearOptions.ts';
import type { AsyncClears } from '../../service/asyncClears.ts';
import type { Clears } from '../../service/clears.ts';
import type { RunClearer } from '../../service/runClearer.ts';
import type { RunListing } from '../../service/answers.ts';
import type { RunQueries } from '../../service/runQueries.ts';
import { jobSchema, type Job } from '../../service/jobSchema.ts';
import { TOKEN_REQUIRED as security } from '../plugins/openapi.ts';
import { runListingJson } from '../runListingJson.ts';
import {
  CLEAR_REFUSALS,
  clearSetBody,
  clearsQuery,
  dryRunBody,
  dryRunQuery,
  listQuery,
  ONE_RUN_ERRORS,
  preferHeaders,
  runPathParams,
} from './stagingRequests.ts';

// Who asks, where the clear logs, and whether it is a dry run: asked for in
// the query (curl) or in the JSON body (clients).
export function clearOptionsOf(
  request: FastifyRequest & { query: { dry_run?: boolean }; body?: { dry_run?: boolean } | null },
): ClearOptions {
  return {
    actor: request.actor,
    logger: request.log,
    dryRun: request.query.dry_run === true || request.body?.dry_run === true,
  };
}

// Prefer: respond-async (RFC 7240) asks for a job instead of waiting.
function wantsAsync(request: FastifyRequest): boolean {
  return /(^|,)\s*respond-async\s*(;|,|$)/i.test([request.headers.prefer ?? ''].flat().join(','));
}

// Clears the request asked for now, or as a job answered with 202.
async function answerClear<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  ways: { now: () => Promise<T>; later: () => Job },
): Promise<T | Job> {
  if (!wantsAsync(request)) return ways.now();
  const job = ways.later();
  reply.code(202).header('location', `/api/v1/jobs/${job.id}`).header('preference-applied', 'respond-async');
  return job;
}

export const stagingRoutes: FastifyPluginAsyncZod<{
  runs: Pick<RunQueries, 'listRuns' | 'getRun' | 'eligibility' | 'listClears'>;
  clearer: Pick<RunClearer, 'clear'>;
  clears: Pick<Clears, 'clearSet' | 'sweep'>;
  jobs: Pick<AsyncClears, 'clearRun' | 'clearSet' | 'sweep'>;
}> = async (
  app,
  { runs, clearer, clears, jobs },
) => {
  app.get('/api/v1/staging', {
    config: { scope: 'read', errors: ['staging_root_unavailable'] },
    schema: {
      summary: 'List staged runs',
      operationId: 'listRuns',
      description: 'Every staged run as a row, newest activity first; runs whose ingest.json cannot be used are under problems.',
      tags: ['staging'],
      security,
      querystring: listQuery,
      response: { 200: runListingSchema },
    },
    // Thousands of rows, each built to the schema's type (checked when this
    // compiles): written from text kept per row, not validated again one by one.
    serializerCompiler: () => (data) => runListingJson(data as RunListing),
    handler: (request) => runs.listRuns(request.query),
  });

  app.get('/api/v1/staging/:run_path', {
    config: { scope: 'read', errors: ONE_RUN_ERRORS },
    schema: {
      summary: 'One staged run',
      operationId: 'getRun',
      description: 'The row of one run with its history and its eligibility.',
      tags: ['staging'],
      security,
      params: runPathParams,
      response: { 200: runDetailSchema },
    },
    handler: (request) => runs.getRun(request.params.run_path),
  });

  app.get('/api/v1/staging/:run_path/eligibility', {
    config: { scope: 'read', errors: ONE_RUN_ERRORS },
    schema: {
      summary: 'The policy decision for one run',
      operationId: 'getEligibility',
      tags: ['staging'],
      security,
      params: runPathParams,
      response: { 200: eligibilitySchema },
    },
    handler: (request) => runs.eligibility(request.params.run_path),
  });

  app.post('/api/v1/staging/:run_path/clear', {
    config: { scope: 'clear', errors: CLEAR_REFUSALS },
    schema: {
      summary: 'Clear one run',
      operationId: 'clearRun',
      description:
        'Deletes a sync_verified run (or finishes an interrupted clear), journaling what went. With dry_run, says what would go.',
      tags: ['clear'],
      security,
      params: runPathParams,
      querystring: dryRunQuery,
      headers: preferHeaders,
      body: dryRunBody,
      response: { 200: clearAnswerSchema, 202: jobSchema },
    },
    handler: (request, reply) => {
      const options = clearOptionsOf(request);
      return answerClear(request, reply, {
        now: () => clearer.clear(request.params.run_path, options),
        later: () => jobs.clearRun(request.params.run_path, options),
      });
    },
  });

  app.post('/api/v1/staging/clear', {
    config: { scope: 'clear', errors: ['staging_root_unavailable', 'shutting_down', 'job_queue_full'] },
    schema: {
      summary: 'Clear a set of runs',
      operationId: 'clearSet',
      description: 'One result per run, in order: its clear answer, or {run_path, error}.',
      tags: ['clear'],
      security,
      querystring: dryRunQuery,
      headers: preferHeaders,
      body: clearSetBody,
      response: { 200: runResultsSchema, 202: jobSchema },
    },
    handler: (request, reply) => {
      const runPaths = request.body.run_paths;
      const set = runPaths ? { run_paths: runPaths } : { all_verified: true as const };
      const options = clearOptionsOf(request);
      return answerClear(request, reply, {
        now: async () => ({ results: await clears.clearSet(set, options) }),
        later: () => jobs.clearSet(set, options),
      });
    },
  });

  app.post('/api/v1/staging/sweep', {
    config: { scope: 'clear', errors: ['sweep_in_progress', 'staging_root_unavailable', 'shutting_down', 'job_queue_full'] },
    schema: {
      summary: 'Apply the policy now',
      operationId: 'sweep',
      description: 'In scheduled mode, clears every auto-eligible run and finishes interrupted clears; in manual mode, clears nothing.',
      tags: ['clear'],
      security,
      querystring: dryRunQuery,
      headers: preferHeaders,
      body: dryRunBody,
      response: { 200: runResultsSchema, 202: jobSchema },
    },
    handler: (request, reply) => {
      const options = clearOptionsOf(request);
      return answerClear(request, reply, {
        now: async () => ({ results: await clears.sweep(options) }),
        later: () => jobs.sweep(options),
      });
    },
  });

  app.get('/api/v1/staging/clears', {
    config: { scope: 'read', errors: ['journal_unavailable'] },
    schema: {
      summary: 'The clear journal, newest first',
      operationId: 'listClears',
      tags: ['clear'],
      security,
      querystring: clearsQuery,
      description:
        'Pages newest first through the records the journal keeps (journal.keep_rotated set-aside files and the live one): ' +
        'a record cleared while paging shifts the pages by one, so a client may see one record twice, never miss one.',
      response: {
        200: z.object({
          clears: z.array(clearRecordSchema),
          next_offset: z.int().nullable().describe('The offset of the next page; null on the last one.'),
        }),
      },
    },
    handler: async (request) => {
      const { limit, offset } = request.query;
      const since = request.query.since ? parseTimestamp(request.query.since) : null;
      const records = await runs.listClears({ ...(since ? { since } : {}), limit, offset });
      return { clears: records, next_offset: records.length === limit ? offset + limit : null };
    },
  });
};
