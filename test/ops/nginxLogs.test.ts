// The README's nginx block keeps tokens out of nginx's access log: the event
// stream, whose token is in its URL (?access_token=, since a browser's
// EventSource cannot send headers), is not logged; every other request is,
// query string and all, in nginx's default format.
import { afterEach, expect, it } from 'vitest';
import { CLEAR_TOKEN, createAppHarness, listen, READ_TOKEN, WITH_TOKENS } from '../helpers/appHarness.ts';
import { NGINX, startNginx, type Proxy } from '../helpers/nginx.ts';
import { openEvents } from '../helpers/sseClient.ts';
import { skipUnless } from '../helpers/skipUnless.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const itWithNginx = skipUnless(it, NGINX !== null, 'needs nginx (apt-get install -y nginx)');
let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

itWithNginx("logs no event-stream token, and still logs the service's other requests with their query", async () => {
  const h = await createAppHarness({ env: WITH_TOKENS, heartbeatMs: 50 });
  makeRun(h.root, 'EQ/P/Runs/Run_1');
  proxy = await startNginx(await listen(h));
  for (const secret of [CLEAR_TOKEN, READ_TOKEN]) {
    const stream = openEvents(`${proxy.base}/api/v1/events?access_token=${secret}`);
    expect(await stream.status).toBe(200);
    stream.close();
  }
  const listing = await fetch(`${proxy.base}/api/v1/staging?state=sync_verified`, {
    headers: { authorization: `Bearer ${CLEAR_TOKEN}` },
  });
  expect(listing.status).toBe(200);
  // Any other query is logged: the block hides only the event stream.
  await fetch(`${proxy.base}/api/v1/health?probe=visible`);
  await proxy.stop();

  const log = proxy.accessLog();
  expect(log).toContain('"GET /cleanup/api/v1/staging?state=sync_verified HTTP/1.1" 200');
  expect(log).toContain('"GET /cleanup/api/v1/health?probe=visible HTTP/1.1" 200');
  expect(log).not.toContain('/api/v1/events');
  for (const secret of [CLEAR_TOKEN, READ_TOKEN]) expect(log).not.toContain(secret);
});
