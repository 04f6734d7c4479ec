import { describe, expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';

describe('the panel routes', () => {
  it('serve the page at /, under a CSP without inline script, naming its script and style relative to it', async () => {
    const h = await createAppHarness();
    const page = await h.http().get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<title>');
    expect(page.text).toContain('src="ui/main.js"');
    expect(page.text).not.toMatch(/(src|href)="\//);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    await h.http().get('/ui/main.js').expect(200);
  });

  it('send /ui/ and /ui/index.html to the page by a relative redirect, which a path prefix keeps', async () => {
    const h = await createAppHarness();
    for (const url of ['/ui/', '/ui/index.html']) {
      const moved = await h.http().get(url).expect(302);
      expect(moved.headers.location).toBe('../');
      expect(new URL(moved.headers.location!, `https://lab.example/cleanup${url}`).pathname).toBe('/cleanup/');
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
