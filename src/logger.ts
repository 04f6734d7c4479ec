// The service's pino logger: JSON lines, with request fields that never carry
// a secret. A logged URL keeps only the query parameters the routes take that
// hold none, with plain values; every other parameter is logged as [masked],
// its name included, so that a token is never logged however it is spelled or
// encoded (?access_token=, ?ACCESS%5Ftoken=, ?access_token%3D…).
import pino, { type DestinationStream, type Logger } from 'pino';

const LOGGED_PARAMETERS = new Set([
  'state',
  'eligible',
  'equipment_id',
  'run_kind',
  'dry_run',
  'since',
  'limit',
  'cursor',
  'runs_offset',
  'runs_limit',
]);
const PLAIN_VALUE = /^[\w.:-]{0,64}$/;
const MASKED = '[masked]';

export function loggedUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  const pairs = url
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const [name = '', value = ''] = pair.split(/=(.*)/s);
      if (!LOGGED_PARAMETERS.has(name)) return MASKED;
      return PLAIN_VALUE.test(value) ? pair : `${name}=${MASKED}`;
    });
  return `${url.slice(0, mark)}?${pairs.join('&')}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  ip?: string;
}

export function createLogger(level: string, hostLabel: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { host: hostLabel },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: loggedUrl(request.url),
          remote_address: request.ip,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
