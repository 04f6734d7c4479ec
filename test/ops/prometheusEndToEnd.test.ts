// The shipped rules and dashboard against a real Prometheus: it scrapes a
// live service (with the example configuration, its token read from a file)
// every second and evaluates the rules, while the service clears a run,
// refuses one, fails to finish one and sweeps. Then every expression of a
// rule and every panel query of the dashboard must have data, with the
// labels its annotations or legend name (a metric or label renamed on
// either side makes this fail), and the failed clear fires its alert.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLEAR_TOKEN, createAppHarness, FAR_PRESSURE_MARKS, listen, READ_TOKEN, WITH_TOKENS, type AppHarness } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
import { describeWithPrometheus, PROMETHEUS_DIR, RULE_FILES, rulesOf, startPrometheus, type Alert, type Sample } from '../helpers/prometheus.ts';
import { dashboardQueries, labelsOfAnnotations, labelsOfLegend, readDashboard, signalOf, substituteVariables } from '../helpers/promql.ts';
import { IS_ROOT } from '../helpers/root.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';
import { skipUnless } from '../helpers/skipUnless.ts';

const JOB = 'staging-cleanup';
// Long enough for the answers below to be scraped and the rules evaluated at a 1 s interval.
const SETTLE_MS = 30_000;

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

// The example configuration, pointed at this service and this token file, at test speed.
function configFor(serviceUrl: string, tokenFile: string): object {
  const config = parse(fs.readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'));
  config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
  config.rule_files = RULE_FILES;
  const [job] = config.scrape_configs;
  job.authorization.credentials_file = tokenFile;
  job.static_configs = [{ targets: [new URL(serviceUrl).host], labels: { room: 'test' } }];
  return { ...config, scrape_configs: [job] };
}

// What a day of a scheduled orchestrator shows: a sweep that clears one run
// and leaves one (unsynced files), a refusal, a clear that cannot finish
// (an immutable file), and a verified run waiting for the next sweep.
async function exercise(h: AppHarness): Promise<void> {
  const clear = (url: string) => h.http().post(url).set('authorization', `Bearer ${CLEAR_TOKEN}`);
  makeRun(h.root, 'EQ/P/Runs/Run_swept');
  const unsynced = makeRun(h.root, 'EQ/P/Runs/Run_unsynced');
  fs.writeFileSync(path.join(unsynced, 'late.csv'), 'written after verification');
  makeRun(h.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
  await clear('/api/v1/staging/sweep').expect(200);
  await clear('/api/v1/staging/EQ/P/Runs/Run_queued/clear').expect(409);
  const stuck = makeRun(h.root, 'EQ/P/Runs/Run_stuck');
  await withImmutable([path.join(stuck, 'image_0001.tif')], () => clear('/api/v1/staging/EQ/P/Runs/Run_stuck/clear').expect(500));
  makeRun(h.root, 'EQ/P/Runs/Run_waiting');
}

// Polls `check` four times a second until it holds or SETTLE_MS have passed; what
// did not come is then for the assertions after it to say.
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (!(await check()) && Date.now() < deadline) await sleep(250);
}

interface Check {
  where: string;
  expr: string;
  labels: string[];
}

function ruleChecks(): Check[] {
  return RULE_FILES.flatMap(rulesOf).map((rule) =>
    rule.alert
      ? {
          where: `alert ${rule.alert}`,
          expr: signalOf(rule.expr),
          labels: ['instance', 'job', ...labelsOfAnnotations(Object.values(rule.annotations ?? {}))],
        }
      : { where: `recording ${rule.record}`, expr: rule.expr, labels: ['instance', 'job'] },
  );
}

// The labels a check wants that a series lacks, or a note that it has no series.
function shortfall(check: Check, series: Sample[]): string[] {
  if (series.length === 0) return [`${check.where}: no data for ${check.expr}`];
  return series.flatMap((one) =>
    check.labels.filter((label) => !(label in one.metric)).map((label) => `${check.where}: no "${label}" label in ${check.expr}`),
  );
}

async function shortfalls(query: (expr: string) => Promise<Sample[]>, checks: Check[]): Promise<string[]> {
  const found = await Promise.all(checks.map(async (check) => shortfall(check, await query(check.expr))));
  return found.flat();
}

skipUnless(describeWithPrometheus, IS_ROOT, 'needs root (chattr +i)')('the shipped rules and dashboard on a real Prometheus', () => {
  it('find data, with the labels they name, for every rule expression and every panel, and fire the alerts for what the service met', async () => {
    const h = await createAppHarness({
      env: { ...WITH_TOKENS, ...FAR_PRESSURE_MARKS, STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' },
    });
    const serviceUrl = await listen(h);
    const dir = makeTempDir('prometheus-');
    temps.push(dir);
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, READ_TOKEN, { mode: 0o400 });
    const prometheus = await startPrometheus(configFor(serviceUrl, tokenFile), dir);
    try {
      // A counter's rise is seen only from a sample before it: the first scrape comes first.
      await until(async () => (await prometheus.query(`up{job="${JOB}"} == 1`)).length > 0);
      await exercise(h);
      const instance = new URL(serviceUrl).host;
      const dashboard = readDashboard();
      const panelChecks = (hosts: string[]): Check[] =>
        dashboardQueries(dashboard).map((query) => ({
          where: `panel "${query.panel}"`,
          expr: substituteVariables(query.expr, hosts),
          labels: labelsOfLegend(query.legendFormat),
        }));
      const hostVariable = async (): Promise<string[]> => {
        const definition = String(dashboard.templating.list.find((variable) => variable.name === 'host')?.query);
        const [, selector = '', label = ''] = definition.match(/^label_values\((.*),\s*(\w+)\)$/) ?? [];
        const series = await prometheus.query(selector);
        return [...new Set(series.map((one) => one.metric[label] ?? ''))];
      };
      // Waits until every check has data (or the time is up), then says what is missing.
      let missing: string[] = [];
      let hosts: string[] = [];
      await until(async () => {
        hosts = await hostVariable();
        missing = await shortfalls(prometheus.query, [...ruleChecks(), ...panelChecks(hosts)]);
        return missing.length === 0;
      });
      expect(missing).toEqual([]);
      expect(hosts).toEqual([instance]);

      // What the service met fires or arms the alerts that say so, naming the host.
      let alerts: Alert[] = [];
      const alert = (name: string) => alerts.find((one) => one.labels.alertname === name);
      await until(async () => {
        alerts = await prometheus.alerts();
        return alert('StagingClearsFailing')?.state === 'firing' && alert('StagingSweepBehind') !== undefined;
      });
      expect(alert('StagingClearsFailing')).toMatchObject({
        state: 'firing',
        labels: { instance, job: JOB, room: 'test', outcome: 'clear_incomplete', severity: 'warning' },
        annotations: { summary: `Clears fail on ${instance} (clear_incomplete)` },
      });
      expect(alert('StagingClearsFailing')?.annotations.description).toContain(`1 clear(s) on ${instance} ended with clear_incomplete`);
      // Run_waiting has been due since April (the fixtures' dates); the alert waits 5 minutes before it fires.
      expect(alert('StagingSweepBehind')).toMatchObject({ state: 'pending', labels: { instance, severity: 'warning' } });
      // Nothing of what did not happen (the volume's forecast is the machine's: not judged here).
      for (const quiet of ['StagingCleanupDown', 'StagingCleanupHealthCheckFailing', 'StagingJournalWriteFailures', 'StagingLockHeldLong']) {
        expect(alert(quiet), quiet).toBeUndefined();
      }

      const [up] = await prometheus.query(`up{job="${JOB}"}`);
      expect(up?.metric).toMatchObject({ instance, job: JOB, room: 'test' });
      expect(up?.value[1]).toBe('1');
      // The checks see a renamed metric, and another host than the one scraped.
      const renamed = { where: 'renamed', expr: 'staging_cleanup_clears_totals', labels: [] };
      expect(await shortfalls(prometheus.query, [renamed])).toHaveLength(1);
      expect(await shortfalls(prometheus.query, panelChecks(['orch-elsewhere:8080']))).toHaveLength(panelChecks([]).length);
    } finally {
      await prometheus.stop();
    }
  }, 60_000);
});
