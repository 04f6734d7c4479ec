import { describe, expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';

describe('whole-number query parameters', () => {
  it.each(['1e99', '99999999999999999999', '-1', '0', '2.5', 'abc', '1001', ' 5'])(
    'answers limit=%s with one message saying what is allowed',
    async (value) => {
      const h = await createAppHarness();
      const response = await h.http().get(`/api/v1/staging/clears?limit=${encodeURIComponent(value)}`).expect(400);
      expect(response.body.error).toMatchObject({
        code: 'validation_error',
        message: 'Invalid request: query.limit: must be a whole number from 1 to 1000',
        details: { issues: [{ field: 'query.limit', message: 'must be a whole number from 1 to 1000' }] },
      });
    },
  );

  it('takes the bounds themselves and the default', async () => {
    const h = await createAppHarness();
    for (const query of ['?limit=1', '?limit=1000', '']) {
      expect((await h.http().get(`/api/v1/staging/clears${query}`).expect(200)).body.clears).toEqual([]);
    }
    await h.http().get('/api/v1/jobs?limit=200').expect(200);
    expect((await h.http().get('/api/v1/jobs?limit=201').expect(400)).body.error.message).toBe(
      'Invalid request: query.limit: must be a whole number from 1 to 200',
    );
  });
});
