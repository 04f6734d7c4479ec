// The shipped Grafana dashboard (ops/grafana) and rules against what the
// service exports: every metric a panel or a rule reads is on a live
// /metrics, whose names promtool accepts.
import { expect, it, describe } from 'vitest';
import { CLEAR_TOKEN, createAppHarness, FAR_PRESSURE_MARKS, READ_TOKEN, WITH_TOKENS, type AppHarness } from '../helpers/appHarness.ts';
import { describeWithPromtool, promtool, RULE_FILES, rulesOf } from '../helpers/prometheus.ts';
import { dashboardQueries, metricNamesOf, readDashboard } from '../helpers/promql.ts';
import { makeRun } from '../helpers/stagingTree.ts';

// What Prometheus itself adds to every target.
const PROMETHEUS_OWN = ['up'];
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

// A service with a pressure policy (its marks are drawn) that has cleared a
// run, refused one and swept, and its /metrics.
async function liveScrape(): Promise<{ h: AppHarness; text: string }> {
  const h = await createAppHarness({ env: { ...WITH_TOKENS, ...FAR_PRESSURE_MARKS } });
  makeRun(h.root, 'EQ/P/Runs/Run_1');
  makeRun(h.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
  const clear = (path: string) => h.http().post(path).set('authorization', `Bearer ${CLEAR_TOKEN}`);
  await clear('/api/v1/staging/EQ/P/Runs/Run_1/clear').expect(200);
  await clear('/api/v1/staging/EQ/P/Runs/Run_queued/clear').expect(409);
  await clear('/api/v1/staging/sweep').expect(200);
  const text = (await h.http().get('/metrics').set('authorization', `Bearer ${READ_TOKEN}`).expect(200)).text;
  return { h, text };
}

// Every series name a scrape can hold, from its TYPE lines.
function exportedNames(text: string): Set<string> {
  const names = new Set<string>(PROMETHEUS_OWN);
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    names.add(name);
    for (const suffix of SUFFIXES[type] ?? []) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('ops/grafana/staging-cleanup.json', () => {
  it('is an import-ready dashboard: the data source and the hosts are variables every panel uses', () => {
    const dashboard = readDashboard();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toBe('staging-cleanup-fleet');
    const variables = dashboard.templating.list;
    expect(variables.find((variable) => variable.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.find((variable) => variable.name === 'host')).toMatchObject({
      type: 'query',
      multi: true,
      includeAll: true,
      datasource: { type: 'prometheus', uid: '${datasource}' },
    });
    const { panels } = dashboard;
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const drawn = panels.filter((panel) => panel.type !== 'row');
    for (const panel of drawn) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr, panel.title).toMatch(/instance=~"\$host"/);
    }
    const titles = drawn.map((panel) => panel.title);
    for (const wanted of ['Volume used', 'Available space and 4-hour forecast', 'Bytes freed per day', 'Clears and refusals by outcome', 'Job queue', 'Request latency (p95) by route', 'Health checks', 'Service up']) {
      expect(titles).toContain(wanted);
    }
  });

  it('is per host: every aggregation keeps instance, every legend names it (or the panel repeats per host)', () => {
    const problems = readDashboard().panels.flatMap((panel) => {
      const { repeat } = panel as { repeat?: string };
      return (panel.targets ?? []).flatMap((target) => {
        const found: string[] = [];
        for (const match of target.expr.matchAll(/\b(sum|min|max|avg|count)\s*(by\s*\(([^)]*)\))?\s*\(/g)) {
          const by = (match[3] ?? '').split(',').map((label) => label.trim());
          if (!by.includes('instance')) found.push(`${panel.title}: ${match[0]} drops instance`);
        }
        if (repeat !== 'host' && !(target.legendFormat ?? '').includes('{{instance}}')) found.push(`${panel.title}: legend without {{instance}}`);
        return found;
      });
    });
    expect(problems).toEqual([]);
  });

  it('puts one unit on each axis, and draws the pressure high-water mark', () => {
    interface Drawn {
      title: string;
      type: string;
      targets?: Array<{ expr: string }>;
      fieldConfig?: {
        defaults: { unit?: string; custom?: { axisPlacement?: string } };
        overrides: Array<{ properties: Array<{ id: string; value: unknown }> }>;
      };
    }
    const panels = readDashboard().panels as unknown as Drawn[];
    for (const panel of panels.filter((each) => each.type === 'timeseries')) {
      const { defaults, overrides } = panel.fieldConfig!;
      const axes = new Map<string, Set<string>>();
      const place = (placement: string | undefined, unit: string | undefined) => {
        const units = axes.get(placement ?? 'auto') ?? new Set<string>();
        units.add(unit ?? 'none');
        axes.set(placement ?? 'auto', units);
      };
      place(defaults.custom?.axisPlacement, defaults.unit);
      for (const { properties } of overrides) {
        const value = (id: string) => properties.find((property) => property.id === id)?.value as string | undefined;
        if (value('unit')) place(value('custom.axisPlacement') ?? defaults.custom?.axisPlacement, value('unit'));
      }
      for (const [placement, units] of axes) expect([...units], `${panel.title}, ${placement} axis`).toHaveLength(1);
    }
    const marked = panels.filter((panel) => panel.targets?.some((target) => target.expr.includes('staging_cleanup_pressure_high_water_ratio')));
    expect(marked.map((panel) => panel.title)).toEqual(['Volume used', 'Staged bytes by class on $host']);
  });

  it('reads only metrics a live service exports, in its panels, its host variable and the rules', async () => {
    const { text } = await liveScrape();
    const exported = exportedNames(text);
    const dashboard = readDashboard();
    const host = dashboard.templating.list.find((variable) => variable.name === 'host');
    const read = [...dashboardQueries(dashboard).map((query) => ({ where: query.panel, expr: query.expr })), { where: 'host variable', expr: String(host?.query).replace(/^label_values\((.*),\s*\w+\)$/, '$1') }];
    const rules = RULE_FILES.flatMap(rulesOf);
    const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));
    read.push(...rules.map((rule) => ({ where: rule.alert ?? rule.record ?? '', expr: rule.expr })));
    const missing = read.flatMap(({ where, expr }) =>
      metricNamesOf(expr)
        .filter((name) => !exported.has(name) && !recorded.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });
});

describeWithPromtool('the live /metrics', () => {
  it('passes promtool check metrics (Prometheus naming conventions)', async () => {
    const { text } = await liveScrape();
    const result = await promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });
});
