// Every route as registered (`app.registeredRoutes`): what the OpenAPI
// document is checked against, what a raw run path in a URL is encoded for
// (runPathUrl.ts), and which methods a path lacks (methodNotAllowed.ts).
import fp from 'fastify-plugin';

export interface RegisteredRoute {
  method: string;
  url: string;
  // Left out of the OpenAPI document on purpose, as the panel's files are.
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: ReadonlyArray<RegisteredRoute>;
  }
}

export const registeredRoutes = fp(
  async (app) => {
    const routes: RegisteredRoute[] = [];
    app.decorate('registeredRoutes', routes);
    app.addHook('onRoute', (route) => {
      const hidden = route.schema?.hide === true;
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden });
    });
  },
  { name: 'registered-routes' },
);
