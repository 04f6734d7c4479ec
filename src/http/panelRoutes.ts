// The staging panel: a single page (panel/, built into dist/panel by
// `npm run build`) served at / and /ui/, with its script and style under
// /ui/. It holds no data and needs no token: it calls the public API like any
// other client. Not part of the API document.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

// The same from src/http (tsx, tests) and dist/http (node dist/main.js).
export const PANEL_DIR = path.join(import.meta.dirname, '..', '..', 'dist', 'panel');
const PAGE = 'index.html';

export const panelRoutes: FastifyPluginAsync = async (app) => {
  if (!fs.existsSync(path.join(PANEL_DIR, PAGE))) {
    app.log.warn({ panel_dir: PANEL_DIR }, 'the staging panel is not built: run npm run build');
  }
  await app.register(fastifyStatic, { root: PANEL_DIR, prefix: '/ui/', index: PAGE });
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile(PAGE));
};
