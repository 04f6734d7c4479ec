import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../src/domain/timestamps.ts';

describe('parseTimestamp', () => {
  it.each([
    ['2026-04-17T16:18:43Z', '2026-04-17T16:18:43.000Z'],
    ['2026-04-17T16:18:43+00:00', '2026-04-17T16:18:43.000Z'],
    ['2026-04-17T18:18:43+02:00', '2026-04-17T16:18:43.000Z'],
    ['2026-04-17T11:18:43-0500', '2026-04-17T16:18:43.000Z'],
    ['2026-04-17T16:18:43', '2026-04-17T16:18:43.000Z'],
    ['2026-04-17T16:18:43.250Z', '2026-04-17T16:18:43.250Z'],
    ['2026-04-17t16:18:43z', '2026-04-17T16:18:43.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s UTC', (text, iso) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ['empty', ''],
    ['a date only', '2026-04-17'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['hour 24', '2026-04-17T24:00:00Z'],
    ['second 60', '2026-04-17T23:59:60Z'],
    ['an offset of 24 hours', '2026-04-17T10:00:00+24:00'],
    ['prose', 'yesterday'],
    ['a space instead of T', '2026-04-17 16:18:43Z'],
  ])('refuses %s', (_, text) => {
    expect(parseTimestamp(text)).toBeNull();
  });

  it('refuses values that are not strings', () => {
    expect(parseTimestamp(undefined)).toBeNull();
    expect(parseTimestamp(1713370723)).toBeNull();
    expect(parseTimestamp(null)).toBeNull();
  });
});

describe('formatTimestamp', () => {
  it('writes YYYY-MM-DDTHH:MM:SSZ in UTC, dropping milliseconds', () => {
    expect(formatTimestamp(new Date('2026-04-17T18:18:43.999+02:00'))).toBe('2026-04-17T16:18:43Z');
  });

  it('round-trips through parseTimestamp', () => {
    const text = '2031-12-31T23:59:59Z';
    expect(formatTimestamp(parseTimestamp(text) as Date)).toBe(text);
  });
});

describe('parseTimestamp of early years', () => {
  it('reads years 0 to 99 as written, not as 1900 to 1999', () => {
    expect(parseTimestamp('0000-01-01T00:00:00Z')?.getUTCFullYear()).toBe(0);
    expect(parseTimestamp('0099-12-31T23:59:59Z')?.toISOString()).toBe('0099-12-31T23:59:59.000Z');
    expect(parseTimestamp('0004-02-29T00:00:00Z')?.getUTCDate()).toBe(29);
    expect(parseTimestamp('0001-02-29T00:00:00Z')).toBeNull();
  });
});
