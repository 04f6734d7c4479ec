import { describe, expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';

describe('the panel routes', () => {
  it('serve the page at /, /ui/ and /ui/index.html, under a CSP without inline script', async () => {
    const h = await createAppHarness();
    for (const url of ['/', '/ui/', '/ui/index.html']) {
      const page = await h.http().get(url).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<title>');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    }
  });

  it('answer another method on the page with 405 and Allow', async () => {
    const h = await createAppHarness();
    for (const url of ['/', '/ui/', '/ui/index.html']) {
      const refused = await h.http().delete(url).expect(405);
      expect(refused.headers.allow).toContain('GET');
      expect(refused.body.error.code).toBe('method_not_allowed');
    }
    await h.http().get('/nothing-here').expect(404);
  });
});
