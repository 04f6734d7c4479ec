// Bearer tokens with a scope (README "Tokens"): `read` for GET, `clear` for all.
// Tokens are compared as SHA-256 digests in constant time, every configured
// token each time, so that timing tells nothing. With no token configured the
// service listens on loopback only (config.ts) and lets every local caller in.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenConfig } from '../../config/schema.ts';
import { sendError } from '../errorEnvelope.ts';
import { told } from '../httpErrors.ts';

type RouteScope = 'public' | 'read' | 'clear';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    // The EventSource API cannot send headers, so its route takes ?access_token=.
    tokenInQuery?: boolean;
  }
  interface FastifyRequest {
    actor: string;
    // The caller presented a known token, or none is configured (and, on a
    // public route, it named a host this service serves: not a rebinding page).
    authenticated: boolean;
    // What the caller's token allows (everything, without tokens).
    grantedScope: TokenConfig['scope'];
  }
}

interface KnownToken {
  digest: Buffer;
  scope: TokenConfig['scope'];
  actor: string;
}

const LOCAL_ACTOR = 'local';

export interface AuthOptions {
  tokens: readonly TokenConfig[];
}

export const auth = fp<AuthOptions>(
  async (app, { tokens }) => {
    const known: KnownToken[] = tokens.map((token, index) => ({
      digest: digest(token.token),
      scope: token.scope,
      actor: token.name ?? `token-${index + 1}`,
    }));
    app.decorateRequest('actor', LOCAL_ACTOR);
    app.decorateRequest('authenticated', known.length === 0);
    app.decorateRequest('grantedScope', 'clear');
    app.addHook('onRequest', async (request, reply) => {
      const scope = request.routeOptions.config.scope ?? 'clear';
      if (known.length === 0) {
        request.authenticated = request.hostServed;
        return;
      }
      const presented = presentedToken(request);
      const match = presented === null ? null : findToken(known, presented);
      // A public route answers everyone, and a known token's holder in full.
      if (scope === 'public') {
        request.authenticated = match !== null;
        return;
      }
      if (presented === null) {
        return deny(request, reply, 'unauthorized', 'Send a token: Authorization: Bearer <token>.');
      }
      if (!match) return deny(request, reply, 'unauthorized', 'The token is not known to this service.');
      request.authenticated = true;
      if (scope === 'clear' && match.scope !== 'clear') {
        return deny(request, reply, 'forbidden', `The token ${match.actor} has scope read; this needs scope clear.`);
      }
      request.actor = match.actor;
      request.grantedScope = match.scope;
    });
  },
  { name: 'auth', dependencies: ['host-check'] },
);

function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  if (!request.routeOptions.config.tokenInQuery) return null;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.access_token === 'string' ? query.access_token : null;
}

function findToken(known: readonly KnownToken[], presented: string): KnownToken | null {
  const presentedDigest = digest(presented);
  let match: KnownToken | null = null;
  for (const token of known) {
    if (timingSafeEqual(token.digest, presentedDigest)) match = token;
  }
  return match;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function deny(
  request: FastifyRequest,
  reply: FastifyReply,
  code: 'unauthorized' | 'forbidden',
  message: string,
): FastifyReply {
  return sendError(request, reply, told(code, message));
}
