// Against DNS rebinding: a hostile page whose own name is made to resolve to
// this machine sends its own name as Host. So only the names this service is
// configured for are answered (host_not_allowed otherwise): loopback names,
// the listen address (on a wildcard address, this machine's name and
// addresses) and `allowed_hosts`. A route may opt out (`anyHost`): the health
// probe, which orchestrators send to whatever address they see; it then
// learns whether the name was served (`hostServed`), to show such a caller
// nothing but ok or not ok.
import os from 'node:os';
import fp from 'fastify-plugin';
import { sendError } from '../errorEnvelope.ts';
import { API_ERRORS } from '../httpErrors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    anyHost?: boolean;
  }
  interface FastifyRequest {
    // The Host named this service (false only on an `anyHost` route).
    hostServed: boolean;
  }
}

const LOOPBACK_NAME = /^(localhost|127(\.\d{1,3}){3}|::1)$/;
const WILDCARD = new Set(['0.0.0.0', '::']);
// A Host value is a name or address and a port, nothing else.
const HOST_VALUE = /^[^@/?#\\\s]+$/;
const SHOWN_HOST_LENGTH = 200;
const MISSING_HOST = 'The request has no Host header, which HTTP/1.1 requires: send the name you call this service by (curl and browsers do).';
const SEVERAL_HOSTS = 'The request has more than one Host header: send one, the name you call this service by.';

export interface HostCheckOptions {
  // The address the service listens on, and the names it answers to besides.
  listenHost: string;
  allowedHosts: readonly string[];
}

export const hostCheck = fp<HostCheckOptions>(
  async (app, { listenHost, allowedHosts }) => {
    const served = servedHostNames(listenHost, allowedHosts);
    app.decorateRequest('hostServed', true);
    app.addHook('onRequest', async (request, reply) => {
      // HTTP/1.1 requires exactly one (RFC 9112 §3.2); HTTP/1.0 may go
      // without. Node keeps only the first of several, so they are counted.
      const hosts = request.raw.rawHeaders.filter((name, index) => index % 2 === 0 && name.toLowerCase() === 'host').length;
      if (hosts > 1 || (hosts === 0 && request.raw.httpVersion !== '1.0')) {
        return sendError(request, reply, { code: 'bad_request', message: hosts > 1 ? SEVERAL_HOSTS : MISSING_HOST, field: 'headers.host' });
      }
      const host = request.headers.host ?? '';
      const name = hostNameOf(host);
      request.hostServed = name !== null && (LOOPBACK_NAME.test(name) || served.has(name));
      if (request.hostServed || request.routeOptions.config.anyHost) return;
      const shown = host.slice(0, SHOWN_HOST_LENGTH) || '(none)';
      return sendError(request, reply, {
        code: 'host_not_allowed',
        message: API_ERRORS.host_not_allowed.message({ host: shown }),
        field: 'headers.host',
      });
    });
  },
  { name: 'host-check' },
);

// The names served besides loopback, in lower case.
function servedHostNames(listenHost: string, allowedHosts: readonly string[]): Set<string> {
  const names = new Set(allowedHosts.map(normalize));
  if (!WILDCARD.has(listenHost)) names.add(normalize(listenHost));
  else {
    names.add(normalize(os.hostname()));
    for (const address of Object.values(os.networkInterfaces()).flat()) if (address) names.add(normalize(address.address));
  }
  return names;
}

// The name of a Host value (port and IPv6 brackets dropped), as a URL reads it.
function hostNameOf(host: string): string | null {
  if (!HOST_VALUE.test(host)) return null;
  const url = URL.parse(`http://${host}`);
  return url ? normalize(url.hostname) : null;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}
