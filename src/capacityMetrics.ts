// Prometheus gauges of the staging volume and what fills it (the names are
// agreed with the fleet alert rules): read from one capacity answer per
// scrape, however many gauges ask for it.
import { Gauge, type Registry } from 'prom-client';
import { CAPACITY_CLASSES } from './domain/capacityClass.ts';
import type { CapacityAnswer } from './service/capacityAnswer.ts';
import type { MetricSources } from './metricSources.ts';
import { sharedInFlight } from './lib/sharedInFlight.ts';

type Reading = (answer: CapacityAnswer, gauge: Gauge) => void;

export function registerCapacityMetrics(registry: Registry, sources: Pick<MetricSources, 'capacity' | 'pressure'>): void {
  const answer = sharedInFlight((): Promise<CapacityAnswer | null> => sources.capacity.answer().catch(() => null));
  const gauge = (name: string, help: string, read: Reading, labelNames: string[] = []): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const now = await answer();
        if (now) read(now, this);
      },
    });
  };
  const ofVolume = (field: keyof CapacityAnswer['volume']): Reading => (now, g) => g.set(now.volume[field]);
  const byClass = (field: 'bytes' | 'files'): Reading => (now, g) => {
    for (const name of CAPACITY_CLASSES) g.set({ class: name }, now.staged[name][field]);
  };

  gauge('staging_cleanup_volume_size_bytes', 'Size of the volume holding staging_root (f_blocks*f_frsize).', ofVolume('size_bytes'));
  gauge('staging_cleanup_volume_free_bytes', 'Free bytes on the staging volume (f_bfree*f_frsize).', ofVolume('free_bytes'));
  gauge('staging_cleanup_volume_avail_bytes', "Bytes available to the service's user (f_bavail*f_frsize).", ofVolume('avail_bytes'));
  gauge('staging_cleanup_volume_free_inodes', 'Free inodes on the staging volume (f_ffree).', ofVolume('free_inodes'));
  gauge(
    'staging_cleanup_staged_bytes',
    'Bytes in staged runs by class: clearable, retained (retain window), unverified, interrupted (clears to finish).',
    byClass('bytes'),
    ['class'],
  );
  gauge('staging_cleanup_staged_files', 'Files in staged runs by the same classes.', byClass('files'), ['class']);
  gauge(
    'staging_cleanup_volume_full',
    '1 when usage is past the high-water mark and nothing is left to clear, else 0 (0 without a pressure policy).',
    (now, g) => g.set(now.volume_full ? 1 : 0),
  );
  gauge(
    'staging_cleanup_clearable_by_hand_bytes',
    'Bytes of staged runs an operator may clear now (their row offers Clear), less those the last pressure sweep found refused.',
    (now, g) => g.set(now.clearable_by_hand.bytes),
  );
  const { pressure } = sources;
  if (!pressure) return;
  new Gauge({
    name: 'staging_cleanup_pressure_high_water_ratio',
    help: 'The configured high-water mark of the pressure sweep, 0..1.',
    registers: [registry],
  }).set(pressure.highWaterPercent / 100);
  new Gauge({
    name: 'staging_cleanup_pressure_target_ratio',
    help: 'The configured target of the pressure sweep, 0..1.',
    registers: [registry],
  }).set(pressure.targetPercent / 100);
}
