// Names in a run are bytes (README "How a clear stays safe"): instrument PCs write Latin-1, UTF-8
// or anything else. Inside the service a name or relative path is a *byte
// string* (latin1: one character per byte), so it is matched against the
// manifest and handed back to the disk exactly. Answers and logs show it as
// text: a valid UTF-8 name as it is; otherwise every byte that is not part of
// valid UTF-8 as `\xHH` and every backslash as `\\`, flagged `escaped`, so the
// bytes can always be recovered.

export interface ShownName {
  path: string;
  escaped?: true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// ASCII is the same as bytes and as text: most names are, and need no copy.
const ASCII = /^[^\x80-\uffff]*$/;

export function byteString(text: string): string {
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

export function showName(bytes: string): ShownName {
  if (ASCII.test(bytes)) return { path: bytes };
  const buffer = Buffer.from(bytes, 'latin1');
  try {
    return { path: utf8.decode(buffer) };
  } catch {
    return { path: escapeInvalidUtf8(buffer), escaped: true };
  }
}

// Folder names down to a run (equipment, project, Runs/, the run) are the
// segments of a run path, which clients send back: there a backslash always
// begins an escape, so a name holding one is shown escaped too (`\\`), and
// readRunName reads every shown form back to exactly its bytes.
export function showRunName(bytes: string): ShownName {
  const shown = showName(bytes);
  return shown.escaped || !bytes.includes('\\') ? shown : { path: escapeInvalidUtf8(Buffer.from(bytes, 'latin1')), escaped: true };
}

// The byte string a segment of a run path names: UTF-8 text, in which `\xHH`
// is the byte HH and `\\` a backslash; null for any other backslash.
export function readRunName(text: string): string | null {
  // Odd parts are the escapes; a backslash left between them is not one.
  const parts = text.split(/(\\\\|\\x[0-9a-fA-F]{2})/);
  if (parts.some((part, index) => index % 2 === 0 && part.includes('\\'))) return null;
  return parts
    .map((part, index) =>
      index % 2 === 0 ? byteString(part) : part === '\\\\' ? '\\' : String.fromCharCode(parseInt(part.slice(2), 16)),
    )
    .join('');
}

// The text form of showName, for messages.
export function shownText(bytes: string): string {
  return showName(bytes).path;
}

function escapeInvalidUtf8(buffer: Buffer): string {
  let text = '';
  let index = 0;
  while (index < buffer.length) {
    const length = validSequenceLength(buffer, index);
    if (length === 0) {
      text += `\\x${(buffer[index] as number).toString(16).padStart(2, '0')}`;
      index += 1;
    } else {
      const piece = buffer.toString('utf8', index, index + length);
      text += piece === '\\' ? '\\\\' : piece;
      index += length;
    }
  }
  return text;
}

// The length of the well-formed UTF-8 sequence at `index` (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF), or 0.
function validSequenceLength(buffer: Buffer, index: number): number {
  const first = buffer[index] as number;
  if (first < 0x80) return 1;
  const [length, low, high] =
    first >= 0xc2 && first <= 0xdf
      ? [2, 0x80, 0xbf]
      : first === 0xe0
        ? [3, 0xa0, 0xbf]
        : first === 0xed
          ? [3, 0x80, 0x9f]
          : first >= 0xe1 && first <= 0xef
            ? [3, 0x80, 0xbf]
            : first === 0xf0
              ? [4, 0x90, 0xbf]
              : first >= 0xf1 && first <= 0xf3
                ? [4, 0x80, 0xbf]
                : first === 0xf4
                  ? [4, 0x80, 0x8f]
                  : [0, 0, 0];
  if (length === 0 || index + length > buffer.length) return 0;
  const second = buffer[index + 1] as number;
  if (second < low || second > high) return 0;
  for (let next = index + 2; next < index + length; next += 1) {
    const byte = buffer[next] as number;
    if (byte < 0x80 || byte > 0xbf) return 0;
  }
  return length;
}
