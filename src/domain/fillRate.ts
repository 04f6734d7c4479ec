// How fast the volume fills, from free-space samples: the least-squares
// slope of available bytes over the samples of the last hours, and when
// that rate would leave nothing available. The answer states the span of
// samples it used, so a person can judge it ("at the last 6 h's rate").
import { formatTimestamp, parseTimestamp } from './timestamps.ts';

export const FILL_WINDOW_HOURS = 6;
// Fewer samples, or a shorter span, say too little to extrapolate.
const MIN_SAMPLES = 3;
const MIN_SPAN_HOURS = 0.25;
const HOUR_MS = 3_600_000;

export interface VolumeSample {
  at: string;
  avail_bytes: number;
}

export interface FillEstimate {
  // The span of the samples used, in hours (0 when there were too few).
  window_hours: number;
  samples: number;
  // Bytes per hour by which available space shrinks; null when unknown.
  bytes_per_hour: number | null;
  hours_to_full: number | null;
  full_at: string | null;
  filling: boolean;
  message: string;
}

const shownHours = (hours: number): string => `${hours < 10 ? Math.round(hours * 10) / 10 : Math.round(hours)} h`;

export function fillEstimate(samples: readonly VolumeSample[], now: Date, windowHours = FILL_WINDOW_HOURS): FillEstimate {
  const from = now.getTime() - windowHours * HOUR_MS;
  const points = samples
    .map((sample) => ({ t: parseTimestamp(sample.at)?.getTime() ?? Number.NaN, avail: sample.avail_bytes }))
    .filter((point) => point.t >= from && point.t <= now.getTime())
    .sort((a, b) => a.t - b.t);
  const first = points[0];
  const last = points.at(-1);
  const span = first && last ? (last.t - first.t) / HOUR_MS : 0;
  const unknown = { window_hours: 0, samples: points.length, bytes_per_hour: null, hours_to_full: null, full_at: null, filling: false };
  if (!last || points.length < MIN_SAMPLES || span < MIN_SPAN_HOURS) {
    return { ...unknown, message: `not enough free-space samples yet (${points.length} in the last ${windowHours} h)` };
  }
  // 0 - slope, not -slope: a steady volume says 0, never -0.
  const rate = 0 - slopePerHour(points);
  const base = { window_hours: Math.round(span * 100) / 100, samples: points.length, bytes_per_hour: Math.round(rate) };
  const window = `at the last ${shownHours(span)}'s rate`;
  if (rate <= 0) {
    return { ...base, hours_to_full: null, full_at: null, filling: false, message: `${window}, not filling (free space is steady or rising)` };
  }
  const hours = last.avail / rate;
  return {
    ...base,
    hours_to_full: Math.round(hours * 10) / 10,
    full_at: formatTimestamp(new Date(last.t + hours * HOUR_MS)),
    filling: true,
    message: `${window}, full in ${shownHours(hours)}`,
  };
}

// Least-squares slope of available bytes against time, per hour.
function slopePerHour(points: ReadonlyArray<{ t: number; avail: number }>): number {
  const n = points.length;
  const meanT = points.reduce((sum, point) => sum + point.t, 0) / n;
  const meanA = points.reduce((sum, point) => sum + point.avail, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.t - meanT) * (point.avail - meanA);
    variance += (point.t - meanT) ** 2;
  }
  return variance > 0 ? (covariance / variance) * HOUR_MS : 0;
}
