// A body is read as it is sent: the service decodes no Content-Encoding, so a
// compressed body is refused (415 unsupported_content_encoding) rather than
// parsed as if it were plain JSON. Checked once the caller is let in, before
// the body is read.
import fp from 'fastify-plugin';
import { sendError } from '../errorEnvelope.ts';
import { API_ERRORS } from '../httpErrors.ts';

const SHOWN_ENCODING_LENGTH = 100;

export const contentEncoding = fp(
  async (app) => {
    app.addHook('preParsing', async (request, reply, payload) => {
      const encoding = request.headers['content-encoding'];
      if (encoding === undefined || !request.routeOptions.schema?.body || isIdentity(encoding)) return payload;
      await sendError(request, reply, {
        code: 'unsupported_content_encoding',
        message: API_ERRORS.unsupported_content_encoding.message({ encoding: encoding.slice(0, SHOWN_ENCODING_LENGTH) }),
        field: 'headers.content-encoding',
      });
      return payload;
    });
  },
  { name: 'content-encoding' },
);

// `identity` (the body as is), possibly listed more than once, or nothing.
function isIdentity(encoding: string): boolean {
  return encoding.split(',').every((coding) => ['', 'identity'].includes(coding.trim().toLowerCase()));
}
