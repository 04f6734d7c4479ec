import { describe, expect, it } from 'vitest';
import { FORECAST_HOURS, releaseForecast } from '../../src/domain/releaseForecast.ts';

const now = new Date('2026-04-20T12:34:56Z');
const at = (text: string) => new Date(text);

describe('releaseForecast (bytes coming due per hour)', () => {
  it('puts each run in the hour its retain window ends, from the clock hour holding now, as computed by hand', () => {
    const forecast = releaseForecast(
      [
        { eligibleAt: at('2026-04-20T12:40:00Z'), bytes: 100 }, // hour 0 (12:00-13:00)
        { eligibleAt: at('2026-04-20T13:00:00Z'), bytes: 20 }, // hour 1 starts exactly here
        { eligibleAt: at('2026-04-20T13:59:59Z'), bytes: 3 }, // still hour 1
        { eligibleAt: at('2026-04-21T10:30:00Z'), bytes: 7 }, // 22 h after 12:00
        { eligibleAt: at('2026-04-27T11:59:59Z'), bytes: 5 }, // the last hour (167)
      ],
      now,
    );
    expect(forecast.hours).toHaveLength(FORECAST_HOURS);
    expect(forecast.hours[0]).toEqual({ starts_at: '2026-04-20T12:00:00Z', bytes: 100, runs: 1 });
    expect(forecast.hours[1]).toEqual({ starts_at: '2026-04-20T13:00:00Z', bytes: 23, runs: 2 });
    expect(forecast.hours[22]).toEqual({ starts_at: '2026-04-21T10:00:00Z', bytes: 7, runs: 1 });
    expect(forecast.hours[167]).toEqual({ starts_at: '2026-04-27T11:00:00Z', bytes: 5, runs: 1 });
    const counted = forecast.hours.reduce((sum, hour) => sum + hour.bytes, 0);
    expect(counted).toBe(135);
    expect(forecast).toMatchObject({ later_bytes: 0, later_runs: 0 });
  });

  it('sums what comes due after the seventh day as later, and leaves out what is already due (clearable now)', () => {
    const forecast = releaseForecast(
      [
        { eligibleAt: at('2026-04-27T12:00:00Z'), bytes: 9 },
        { eligibleAt: at('2026-05-30T00:00:00Z'), bytes: 1 },
        { eligibleAt: now, bytes: 50 },
        { eligibleAt: at('2026-04-19T00:00:00Z'), bytes: 60 },
      ],
      now,
    );
    expect(forecast.hours.every((hour) => hour.bytes === 0 && hour.runs === 0)).toBe(true);
    expect(forecast).toMatchObject({ later_bytes: 10, later_runs: 2 });
  });

  it('gives empty hours for no runs', () => {
    const forecast = releaseForecast([], now, 3);
    expect(forecast.hours.map((hour) => hour.starts_at)).toEqual([
      '2026-04-20T12:00:00Z',
      '2026-04-20T13:00:00Z',
      '2026-04-20T14:00:00Z',
    ]);
  });
});
