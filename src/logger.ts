// The service's pino logger: JSON lines, with request fields that never carry
// a secret (the events route's ?access_token= is masked in logged URLs).
import pino, { type DestinationStream, type Logger } from 'pino';

const ACCESS_TOKEN = /([?&]access_token=)[^&]*/gi;

function maskSecrets(url: string): string {
  return url.replace(ACCESS_TOKEN, '$1[masked]');
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
          url: maskSecrets(request.url),
          remote_address: request.ip,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
