import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { CleanupError } from '../../src/domain/errors.ts';
import { documentedErrors } from '../../src/http/plugins/documentedErrors.ts';
import { errorHandling } from '../../src/http/plugins/errorHandling.ts';
import { createAppHarness } from '../helpers/appHarness.ts';

async function appWith(errors: Array<'run_not_found' | 'job_not_found'>) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorHandling);
  await app.register(documentedErrors);
  app.get('/thing', {
    config: { scope: 'read', errors },
    handler: async () => {
      throw new CleanupError('run_not_found', { runPath: 'EQ/P/Runs/Run_1' });
    },
  });
  await app.ready();
  return app;
}

describe('documented error answers', () => {
  it('catches a route answering a code it does not document', async () => {
    const app = await appWith(['job_not_found']);
    const response = await app.inject('/thing');
    expect(response.json().error.code).toBe('run_not_found');
    expect(app.undocumentedAnswers).toEqual([{ method: 'GET', url: '/thing', code: 'run_not_found' }]);
    await app.close();
  });

  it('lets a route answer the codes it documents, and documents them per status', async () => {
    const app = await appWith(['run_not_found']);
    expect((await app.inject('/thing')).statusCode).toBe(404);
    expect(app.undocumentedAnswers).toEqual([]);
    await app.close();
  });

  it('documents, for every route of the service, each code its config declares', async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/openapi.json').expect(200)).body;
    const jobCodes = doc.paths['/api/v1/jobs/{id}'].get.responses['404'].content['application/json'].schema.properties.error
      .properties.code.enum;
    expect(jobCodes).toEqual(['job_not_found']);
    // A malformed, oversized or slow request can happen on any route.
    for (const methods of Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) {
        expect(JSON.stringify(operation.responses['400'])).toContain('bad_request');
        expect(JSON.stringify(operation.responses['408'])).toContain('request_timeout');
        expect(JSON.stringify(operation.responses['414'])).toContain('uri_too_long');
        expect(JSON.stringify(operation.responses['431'])).toContain('headers_too_large');
      }
    }
    const full = JSON.stringify(doc.paths['/api/v1/staging/clear'].post.responses['503']);
    expect(full).toContain('job_queue_full: with a Retry-After header');
    expect(JSON.stringify(doc.paths['/api/v1/events'].get.responses['503'])).toContain('event_clients_full');
    // A job ends with the error its clear met, documented with its codes.
    expect(doc.components.schemas.Job.properties.error.properties.code.enum).toEqual(
      expect.arrayContaining(['clear_in_progress', 'unsynced_files', 'internal_error']),
    );
  });
});
