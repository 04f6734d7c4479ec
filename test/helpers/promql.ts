// Just enough PromQL reading for the tests of ops/: which metric names an
// expression selects, the signal of an alert (its expression without the
// threshold), the labels templates name, and the dashboard's queries with
// its variables as Grafana would substitute them.
import fs from 'node:fs';
import path from 'node:path';
import { OPS } from './prometheus.ts';

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

// Every metric name the expression selects (functions and keywords left out).
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const start = match.index;
    const end = start + match[0].length;
    // 1e9: an exponent, not a name.
    if (start > 0 && /[0-9.]/.test(bare[start - 1] ?? '')) continue;
    if (bare.slice(end).trimStart().startsWith('(')) continue;
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

// An alert's expression without its comparisons with a number (a filter on
// each side of an `and`, too): what has data whenever the metrics it needs
// exist, firing or not.
export function signalOf(expr: string): string {
  return expr.replace(/\s*(?:==|!=|>=|<=|>|<)\s*-?[0-9][0-9.e+]*(?=\s|$)/g, '').trim();
}

// The labels a template names: {{ $labels.x }} in annotations, {{x}} in a legend.
export const labelsOfAnnotations = (texts: string[]): string[] => [
  ...new Set(texts.flatMap((text) => [...text.matchAll(/\$labels\.(\w+)/g)].map((match) => match[1] ?? ''))),
];
export const labelsOfLegend = (legend: string): string[] => [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1] ?? '');

export const DASHBOARD_FILE = path.join(OPS, 'grafana', 'staging-cleanup.json');

export interface PanelQuery {
  panel: string;
  expr: string;
  legendFormat: string;
}

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: unknown;
  targets?: Array<{ expr: string; legendFormat?: string }>;
}

export function dashboardQueries(dashboard: { panels: Panel[] }): PanelQuery[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr, legendFormat: target.legendFormat ?? '' })),
  );
}

export function readDashboard(): { panels: Panel[]; templating: { list: Array<Record<string, unknown>> } } & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
}

// A query as Grafana sends it: the host variable as a regex of the chosen
// hosts, the rate interval as a duration.
export function substituteVariables(expr: string, hosts: string[], rateInterval = '1m'): string {
  const hostRegex = hosts.map((host) => host.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('${host}', `(${hostRegex})`)
    .replaceAll('$host', `(${hostRegex})`);
}
