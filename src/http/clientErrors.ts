// Errors Node's HTTP parser meets before a request exists (a malformed
// request line, a URL or headers too large, a request not received in time):
// answered in the envelope on the raw socket, with a trace id of their own,
// and the connection closed, where Fastify's default would answer
// {"error":"Bad Request","message":"Client Error","statusCode":400}.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyBaseLogger } from 'fastify';
import { statusOf, told, type ApiErrorBody } from './httpErrors.ts';
import { TRACE_HEADER } from './plugins/traceId.ts';

// Node hands the packet it failed on as a Buffer (Fastify's type says otherwise).
type ClientError = Omit<ConnectionError, 'rawPacket'> & { rawPacket?: unknown };

// A packet that begins with a request line longer than the header limit
// overflowed on its URL, not its headers.
function urlOverflowed(packet: unknown, limit: number): boolean {
  if (!Buffer.isBuffer(packet) || !/^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1'))) return false;
  const lineEnd = packet.indexOf('\r\n');
  return (lineEnd === -1 ? packet.length : lineEnd) >= limit;
}

function answerTo(error: ClientError, requestTimeoutSeconds: number): ApiErrorBody {
  const limit = http.maxHeaderSize;
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return told(
        'request_timeout',
        `The request was not received whole within ${requestTimeoutSeconds} s (request_timeout_seconds); send it again.`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return urlOverflowed(error.rawPacket, limit)
        ? told('uri_too_long', `The request line is longer than ${limit} bytes.`)
        : told('headers_too_large', `The request line and headers together are larger than ${limit} bytes.`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return told('payload_too_large', 'The chunk extensions of the body are too large.');
    default:
      return told('bad_request', `The request is not valid HTTP/1.1 (${error.code}).`);
  }
}

export function clientErrorHandler(requestTimeoutSeconds: number, log: FastifyBaseLogger) {
  return (error: ClientError, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const traceId = randomUUID();
    const body = answerTo(error, requestTimeoutSeconds);
    // Only the parser's code: the error's rawPacket holds the request's bytes,
    // an Authorization header or a token in the URL among them.
    log.info({ trace_id: traceId, code: body.code, parser_code: error.code, bytes_parsed: error.bytesParsed }, 'client error');
    // As Node does: nothing is written into an answer already under way.
    const answering = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (socket.writable && !answering?.headersSent) {
      const status = statusOf(body.code);
      const json = JSON.stringify({ error: { ...body, trace_id: traceId } });
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(json)}\r\n` +
          `${TRACE_HEADER}: ${traceId}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy(error);
  };
}
