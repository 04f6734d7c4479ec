// A whole-number query parameter within bounds. Anything else (a sign, a
// fraction, an exponent, a number past the bounds, however large) answers one
// message saying what is allowed, rather than the several that coercion gives.
import { z } from 'zod';

// Fifteen digits stay exact as a JavaScript number.
const DIGITS = /^\d{1,15}$/;

export function queryInteger(min: number, max: number, fallback: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z
    .preprocess((value) => (typeof value === 'string' && DIGITS.test(value) ? Number(value) : value), z.int({ error }).min(min, { error }).max(max, { error }))
    .default(fallback);
}
