// At most http.max_connections open at once: Node closes a connection
// beyond as soon as it is accepted, before it costs more than its descriptor
// for that instant, so that idle connections cannot take the descriptors
// clears and listings need. Connections closed so are logged, at most once
// a minute with how many, so a flood does not flood the log too.
import type { Server } from 'node:http';
import type { Logger } from 'pino';

const WARN_EVERY_MS = 60_000;

export function capConnections(server: Server, maxConnections: number, logger: Logger): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let lastWarnedAt = -Infinity;
  server.on('drop', () => {
    dropped += 1;
    const now = performance.now();
    if (now - lastWarnedAt < WARN_EVERY_MS) return;
    logger.warn(
      { dropped, max_connections: maxConnections },
      `closed ${dropped} connection(s) at once: ${maxConnections} were open already (http.max_connections)`,
    );
    lastWarnedAt = now;
    dropped = 0;
  });
}
