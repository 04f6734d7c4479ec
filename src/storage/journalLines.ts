// Reads a journal file's lines from a byte offset to its end, a chunk at a
// time, with the offset and length of each. A last line not ended yet (an
// append under way, or torn by a crash) is left for the next read; a line
// longer than any record is skipped, however long it grows.
import fs from 'node:fs/promises';

// Where the next read of a file starts, and whether it starts inside a line
// already known to be too long.
export interface LineScan {
  indexed: number;
  skipping: boolean;
}

const CHUNK_BYTES = 1024 * 1024;
// A record names one run path (at most 4096 characters): far below this.
const MAX_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export async function readLinesFrom(
  file: string,
  from: LineScan,
  onLine: (line: string, offset: number, length: number) => void,
): Promise<{ from: number; next: LineScan }> {
  // Never through a link, never waiting on a FIFO put in the file's place.
  const handle = await fs.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let position = from.indexed;
    let lineStart = from.indexed;
    let skipping = from.skipping;
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        if (!skipping) {
          const bytes = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(start, end)]) : chunk.subarray(start, end);
          onLine(bytes.toString('utf8'), lineStart, bytes.length);
        }
        carry = Buffer.alloc(0);
        skipping = false;
        start = end + 1;
        lineStart = position + start;
      }
      if (!skipping) {
        carry = Buffer.concat([carry, chunk.subarray(start)]);
        if (carry.length > MAX_LINE_BYTES) {
          skipping = true;
          carry = Buffer.alloc(0);
        }
      }
      position += bytesRead;
    }
    return { from: from.indexed, next: skipping ? { indexed: position, skipping } : { indexed: lineStart, skipping } };
  } finally {
    await handle.close();
  }
}
