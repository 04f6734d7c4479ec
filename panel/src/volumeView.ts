// The staging volume at a glance: a gauge of what fills it (clearable now,
// waiting for the retain window, not verified, everything else), the
// high-water mark and target when a pressure policy is set, the time to
// full, and plots of the space verified runs free in each hour of the next
// 7 days: by the retain window, and by the pressure sweep once
// min_retain_hours has passed. Used is 1 - available / size, as the service
// and the dashboard count it. Plain SVG, drawn from GET /api/v1/staging/capacity.
import type { Capacity, ForecastHour } from './apiTypes.ts';
import { byId, el, replaceChildren } from './dom.ts';
import { formatBytes, formatTime } from './format.ts';
import { svg, tip } from './svg.ts';

const GAUGE = { width: 1000, height: 28 };
const PLOT = { width: 1000, height: 120, axis: 18 };

interface Segment {
  name: string;
  label: string;
  bytes: number;
}

function segmentsOf(capacity: Capacity): Segment[] {
  const { staged, volume } = capacity;
  const clearable = staged.clearable.bytes + staged.interrupted.bytes;
  const staging = clearable + staged.retained.bytes + staged.unverified.bytes;
  return [
    { name: 'clearable', label: 'clearable now', bytes: clearable },
    { name: 'retained', label: 'waiting for the retain window', bytes: staged.retained.bytes },
    { name: 'unverified', label: 'not verified (cannot be freed)', bytes: staged.unverified.bytes },
    // What users cannot write that is no staged run: other files, and the blocks the volume reserves.
    { name: 'other', label: 'other files and reserved space', bytes: Math.max(0, volume.size_bytes - volume.avail_bytes - staging) },
  ];
}

function gauge(capacity: Capacity, segments: readonly Segment[]): SVGSVGElement {
  const room = capacity.volume.size_bytes || 1;
  const scale = (bytes: number) => (bytes / room) * GAUGE.width;
  let x = 0;
  const bars = segments.map((segment) => {
    const rect = svg('rect', { class: `seg seg-${segment.name}`, x, y: 0, width: scale(segment.bytes), height: GAUGE.height, 'data-bytes': segment.bytes });
    rect.append(tip(`${segment.label}: ${formatBytes(segment.bytes)}`));
    x += scale(segment.bytes);
    return rect;
  });
  const marks = capacity.pressure
    ? [
        ['high-water', capacity.pressure.high_water_percent],
        ['target', capacity.pressure.target_percent],
      ].map(([name, percent]) => {
        const at = (Number(percent) / 100) * GAUGE.width;
        return svg('line', { class: `mark mark-${name}`, x1: at, x2: at, y1: 0, y2: GAUGE.height }, tip(`${name} mark: ${percent}%`));
      })
    : [];
  return svg(
    'svg',
    { id: 'volume-gauge', viewBox: `0 0 ${GAUGE.width} ${GAUGE.height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Staging volume use' },
    svg('rect', { class: 'seg seg-free', x: 0, y: 0, width: GAUGE.width, height: GAUGE.height }),
    ...bars,
    ...marks,
  );
}

const sumOf = (hours: readonly ForecastHour[]): number => hours.reduce((sum, hour) => sum + hour.bytes, 0);

function legend(capacity: Capacity, segments: readonly Segment[]): HTMLElement {
  const items = segments.map((segment) =>
    el('li', {}, el('span', { className: `swatch seg-${segment.name}` }), `${segment.label} ${formatBytes(segment.bytes)}`),
  );
  items.push(el('li', {}, el('span', { className: 'swatch seg-free' }), `available ${formatBytes(capacity.volume.avail_bytes)}`));
  const { pressure } = capacity;
  if (pressure) {
    items.push(
      el('li', {}, el('span', { className: 'swatch mark-high-water' }), `high-water mark ${pressure.high_water_percent}%`),
      el('li', {}, el('span', { className: 'swatch mark-target' }), `pressure sweep target ${pressure.target_percent}%`),
    );
  }
  return el('ul', { className: 'legend' }, ...items);
}

function forecastPlot(hours: readonly ForecastHour[], id: string, label: string): SVGSVGElement {
  const most = Math.max(1, ...hours.map((hour) => hour.bytes));
  const barWidth = PLOT.width / Math.max(1, hours.length);
  const drawn = PLOT.height - PLOT.axis;
  const bars = hours.flatMap((hour, index) => {
    if (hour.bytes === 0) return [];
    const height = Math.max(2, (hour.bytes / most) * drawn);
    const bar = svg('rect', { class: 'due', x: index * barWidth, y: drawn - height, width: Math.max(1, barWidth - 1), height, 'data-bytes': hour.bytes, 'data-starts-at': hour.starts_at });
    bar.append(tip(`${new Date(hour.starts_at).toLocaleString('en-GB', { weekday: 'short', hour: '2-digit', minute: '2-digit' })}: ${formatBytes(hour.bytes)} in ${hour.runs} run${hour.runs === 1 ? '' : 's'}`));
    return [bar];
  });
  // A tick and the weekday at each midnight (local time).
  const days = hours.flatMap((hour, index) => {
    const start = new Date(hour.starts_at);
    if (start.getHours() !== 0) return [];
    const x = index * barWidth;
    return [
      svg('line', { class: 'tick', x1: x, x2: x, y1: 0, y2: drawn }),
      svg('text', { class: 'day', x: x + 4, y: PLOT.height - 4 }, start.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric' })),
    ];
  });
  return svg(
    'svg',
    { id, class: 'forecast', viewBox: `0 0 ${PLOT.width} ${PLOT.height}`, role: 'img', 'aria-label': label },
    svg('line', { class: 'axis', x1: 0, x2: PLOT.width, y1: drawn, y2: drawn }),
    ...days,
    ...bars,
    svg('text', { class: 'scale', x: PLOT.width - 4, y: 12 }, `peak ${formatBytes(most === 1 ? 0 : most)}/h`),
  );
}

function headline(capacity: Capacity): HTMLElement {
  const { volume, pressure } = capacity;
  const state = capacity.volume_full
    ? el('span', { className: 'pill volume-full' }, capacity.clearable_by_hand.runs > 0 ? 'full: clear by hand' : 'full: nothing left to clear')
    : pressure?.past_high_water
      ? el('span', { className: 'pill volume-high' }, `past the ${pressure.high_water_percent}% mark: making room`)
      : el('span', { className: 'pill volume-ok' }, pressure ? `under the ${pressure.high_water_percent}% mark` : 'no high-water mark set');
  return el(
    'p',
    { className: 'volume-headline' },
    el('strong', {}, `${volume.used_percent}% used`),
    ` of ${formatBytes(volume.size_bytes)}, ${formatBytes(volume.avail_bytes)} available · `,
    el('span', { className: capacity.fill.filling ? 'fill filling' : 'fill' }, capacity.fill.message),
    ' ',
    state,
  );
}

export function showVolume(capacity: Capacity): void {
  const section = byId('volume', HTMLElement);
  const segments = segmentsOf(capacity);
  const { forecast } = capacity;
  const total = sumOf(forecast.hours);
  const forecastNote =
    total === 0
      ? 'No verified run comes due for the sweep in the next 7 days.'
      : `${formatBytes(total)} comes due for the sweep in the next 7 days${forecast.later_bytes ? `, ${formatBytes(forecast.later_bytes)} later` : ''}.`;
  const pressureHours = forecast.pressure?.hours ?? [];
  const pressureTotal = sumOf(pressureHours);
  const firstTaken = pressureHours.find((hour) => hour.bytes > 0);
  const pressureNote =
    forecast.pressure && firstTaken
      ? `The pressure sweep may take ${formatBytes(pressureTotal)} in the next 7 days, the first from ${formatTime(firstTaken.starts_at)}, ` +
        `once verified ${forecast.pressure.min_retain_hours} h ago, if the volume is past its high-water mark then.`
      : null;
  // When past the mark: what the service says can be done (health's message).
  const message = capacity.pressure?.past_high_water ? el('p', { className: capacity.volume_full ? 'refusal' : 'note' }, capacity.volume_message) : null;
  const unverified = capacity.volume_full && capacity.clearable_by_hand.runs === 0 && capacity.largest_unverified.length
    ? el('p', { className: 'refusal' }, `Get these runs onto the NAS to make room: ${capacity.largest_unverified.map((run) => `${run.run_path} (${formatBytes(run.bytes)})`).join(', ')}`)
    : null;
  replaceChildren(
    section,
    el('h2', {}, 'Staging volume'),
    headline(capacity),
    gauge(capacity, segments),
    legend(capacity, segments),
    message,
    unverified,
    total > 0 && el('h3', {}, 'Space freed by the retain window, per hour, next 7 days'),
    total > 0 && forecastPlot(forecast.hours, 'volume-forecast', 'Space freed by the retain window per hour, next 7 days'),
    el('p', { className: 'note', title: 'Verified runs come due retain_hours after verification (scheduled mode).' }, forecastNote),
    pressureNote && el('h3', {}, 'Space the pressure sweep may take, per hour, next 7 days'),
    pressureNote && forecastPlot(pressureHours, 'volume-pressure-forecast', 'Space the pressure sweep may take per hour, next 7 days'),
    pressureNote && el('p', { className: 'note', title: 'The pressure sweep never clears a run verified less than pressure.min_retain_hours ago.' }, pressureNote),
  );
  section.hidden = false;
}
