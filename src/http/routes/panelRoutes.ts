// The staging panel: a single page (panel/, built into dist/panel by
// `npm run build`) served at /, with its script and style under /ui/. It
// holds no data and needs no token: it calls the public API like any other
// client. Its URLs are relative to the page, so that it works under a
// reverse proxy's path prefix too: the page is served only at the root
// (/ui/ and /ui/index.html send there, by a relative redirect). Not part of
// the API document.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

// The same from src/http/routes (tsx, tests) and dist/http/routes (node dist/main.js).
export const PANEL_DIR = path.join(import.meta.dirname, '..', '..', '..', 'dist', 'panel');
const PAGE = 'index.html';

export const panelRoutes: FastifyPluginAsync = async (app) => {
  if (!fs.existsSync(path.join(PANEL_DIR, PAGE))) {
    app.log.warn({ panel_dir: PANEL_DIR }, 'the staging panel is not built: run npm run build');
  }
  await app.register(fastifyStatic, {
    root: PANEL_DIR,
    prefix: '/ui/',
    index: false,
    allowedPath: (pathName) => pathName !== `/${PAGE}`,
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile(PAGE));
  for (const url of ['/ui/', `/ui/${PAGE}`]) app.get(url, { schema: { hide: true } }, (_request, reply) => reply.redirect('../'));
};
