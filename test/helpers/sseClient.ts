// A minimal Server-Sent Events client over node:http, for tests.
import http from 'node:http';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface SseClient {
  events: SseEvent[];
  comments: string[];
  status: Promise<number>;
  response: Promise<http.IncomingMessage>;
  close(): void;
}

export function openEvents(url: string, headers: Record<string, string> = {}): SseClient {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.on('response', resolve);
    request.on('error', reject);
  });
  void response.then((res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.startsWith(':')) {
          comments.push(frame.slice(1).trim());
          continue;
        }
        const event = frame.match(/^event: (.*)$/m)?.[1] ?? 'message';
        const data = frame.match(/^data: (.*)$/m)?.[1] ?? '{}';
        events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    });
  });
  return {
    events,
    comments,
    response,
    status: response.then((res) => res.statusCode ?? 0),
    close: () => request.destroy(),
  };
}
