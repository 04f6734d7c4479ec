// While the server stops, answers still in flight close their connection, so
// that keep-alive clients do not hold the stop up until they time out.
import fp from 'fastify-plugin';

export const closeWhenStopping = fp(
  async (app) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close');
    });
  },
  { name: 'close-when-stopping' },
);
