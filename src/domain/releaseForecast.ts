// When verified runs come due: the bytes that become auto-eligible in each
// hour of the next 7 days (verification time + retain_hours). Hours start
// on the clock hour that holds `now`; what is already due is clearable now,
// not forecast, and what comes due after the last hour is summed as later.
import { formatTimestamp } from './timestamps.ts';

export const FORECAST_HOURS = 168;
const HOUR_MS = 3_600_000;

export interface ComingDue {
  eligibleAt: Date;
  bytes: number;
}

export interface ForecastHour {
  starts_at: string;
  bytes: number;
  runs: number;
}

export interface ReleaseForecast {
  hours: ForecastHour[];
  later_bytes: number;
  later_runs: number;
}

export function releaseForecast(due: readonly ComingDue[], now: Date, hourCount = FORECAST_HOURS): ReleaseForecast {
  const start = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const hours = Array.from({ length: hourCount }, (_, index) => ({
    starts_at: formatTimestamp(new Date(start + index * HOUR_MS)),
    bytes: 0,
    runs: 0,
  }));
  const forecast: ReleaseForecast = { hours, later_bytes: 0, later_runs: 0 };
  for (const run of due) {
    if (run.eligibleAt.getTime() <= now.getTime()) continue;
    const hour = hours[Math.floor((run.eligibleAt.getTime() - start) / HOUR_MS)];
    if (hour) {
      hour.bytes += run.bytes;
      hour.runs += 1;
    } else {
      forecast.later_bytes += run.bytes;
      forecast.later_runs += 1;
    }
  }
  return forecast;
}
