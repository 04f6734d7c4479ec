import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteString, showName, shownText } from '../../src/domain/entryName.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

// The bytes a shown name stands for: what a client does to get them back.
function bytesOf(shown: { path: string; escaped?: true }): Buffer {
  if (!shown.escaped) return Buffer.from(shown.path, 'utf8');
  const parts: Buffer[] = [];
  for (let index = 0; index < shown.path.length; ) {
    if (shown.path.startsWith('\\x', index)) {
      parts.push(Buffer.from([parseInt(shown.path.slice(index + 2, index + 4), 16)]));
      index += 4;
    } else if (shown.path.startsWith('\\\\', index)) {
      parts.push(Buffer.from('\\'));
      index += 2;
    } else {
      const char = String.fromCodePoint(shown.path.codePointAt(index) as number);
      parts.push(Buffer.from(char, 'utf8'));
      index += char.length;
    }
  }
  return Buffer.concat(parts);
}

describe('names as bytes', () => {
  it('turns UTF-8 text into its byte string and back', () => {
    expect(byteString('Messung_é.raw')).toBe('Messung_\xc3\xa9.raw');
    expect(showName(byteString('Messung_é.raw'))).toEqual({ path: 'Messung_é.raw' });
  });

  it('shows a Latin-1 name with the invalid byte escaped and flags it', () => {
    expect(showName('Messung_\xe9_late.raw')).toEqual({ path: 'Messung_\\xe9_late.raw', escaped: true });
    expect(shownText('a\\b\xff')).toBe('a\\\\b\\xff');
  });

  it.each([
    ['an overlong encoding of "/"', '\xc0\xaf', '\\xc0\\xaf'],
    ['a UTF-16 surrogate encoded in UTF-8', '\xed\xa0\x80', '\\xed\\xa0\\x80'],
    ['a code point above U+10FFFF', '\xf4\x90\x80\x80', '\\xf4\\x90\\x80\\x80'],
    ['a truncated sequence at the end', 'ok\xe2\x82', 'ok\\xe2\\x82'],
    ['a lone continuation byte', '\x80x', '\\x80x'],
  ])('escapes %s', (_, bytes, shown) => {
    expect(showName(bytes)).toEqual({ path: shown, escaped: true });
  });

  it('keeps valid UTF-8 as it is, backslashes included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(showName(byteString(text))).toEqual({ path: text });
      }),
      { numRuns: RUNS },
    );
  });

  it('shows any bytes losslessly: the shown form gives the same bytes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(bytesOf(showName(buffer.toString('latin1')))).toEqual(buffer);
      }),
      { numRuns: RUNS },
    );
  });
});
