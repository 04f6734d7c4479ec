// Browser security headers on every answer (@fastify/helmet), with the
// panel's strict Content-Security-Policy: its own scripts, styles and API
// only; no inline script or style, no framing, nothing from elsewhere (an
// orchestrator may have no internet). Swagger UI at /docs sets its own,
// looser policy (DOCS_CSP) over this one.
import fastifyHelmet from '@fastify/helmet';
import fp from 'fastify-plugin';

const SELF = "'self'";
const NONE = "'none'";

export const PANEL_CSP = {
  defaultSrc: [NONE],
  scriptSrc: [SELF],
  styleSrc: [SELF],
  imgSrc: [SELF, 'data:'],
  connectSrc: [SELF],
  baseUri: [NONE],
  formAction: [NONE],
  frameAncestors: [NONE],
};

// Swagger UI's bundle sets inline styles and draws its icons as data: images.
export const DOCS_CSP = {
  'default-src': [SELF],
  'script-src': [SELF],
  'style-src': [SELF, "'unsafe-inline'"],
  'img-src': [SELF, 'data:'],
  'base-uri': [NONE],
  'form-action': [SELF],
  'frame-ancestors': [NONE],
  'object-src': [NONE],
};

export const securityHeaders = fp(
  async (app) => {
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: PANEL_CSP },
      // The service speaks plain HTTP (TLS, when any, ends before it), so it
      // asks for no HTTPS upgrade and sets no HSTS.
      strictTransportSecurity: false,
    });
  },
  { name: 'security-headers' },
);
