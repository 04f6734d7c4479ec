// The shipped Prometheus files (ops/prometheus) as promtool sees them: valid
// rules, their unit tests (each alert firing and not), a valid example
// configuration.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLEAR_FAILURES } from '../../src/fleetMetrics.ts';
import { describeWithPromtool, PROMETHEUS_DIR, promtool, RULE_FILES, rulesOf } from '../helpers/prometheus.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

const TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describeWithPromtool('ops/prometheus', () => {
  it('holds rule files that promtool check rules accepts', async () => {
    const result = await promtool(['check', 'rules', ...RULE_FILES]);
    expect(result.output).not.toContain('FAILED');
    expect(result.ok).toBe(true);
  });

  it('passes its promtool unit tests, which cover every alert both firing and not firing', async () => {
    const testFiles = fs.readdirSync(TESTS_DIR).filter((name) => name.endsWith('.test.yml'));
    expect(testFiles.length).toBeGreaterThan(0);
    const tested = testFiles.flatMap((name) => {
      const { tests } = parse(fs.readFileSync(path.join(TESTS_DIR, name), 'utf8')) as {
        tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
      };
      return tests.flatMap((test) => test.alert_rule_test ?? []);
    });
    const alerts = RULE_FILES.flatMap(rulesOf).flatMap((rule) => (rule.alert ? [rule.alert] : []));
    for (const alert of alerts) {
      const cases = tested.filter((test) => test.alertname === alert);
      expect(cases.some((test) => test.exp_alerts.length > 0), `${alert} firing`).toBe(true);
      expect(cases.some((test) => test.exp_alerts.length === 0), `${alert} not firing`).toBe(true);
    }
    const result = await promtool(['test', 'rules', ...testFiles.map((name) => path.join(TESTS_DIR, name))]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('gives every alert a severity and a summary and description that name the instance', () => {
    for (const rule of RULE_FILES.flatMap(rulesOf).filter((each) => each.alert)) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toContain('{{ $labels.instance }}');
      expect(rule.annotations?.description, rule.alert).toContain('{{ $labels.instance }}');
    }
  });

  it('ships an example prometheus.yml that promtool check config accepts once its token file exists', async () => {
    const dir = makeTempDir();
    temps.push(dir);
    const config = parse(fs.readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'));
    const tokenFile = path.join(dir, 'staging-cleanup.token');
    fs.writeFileSync(tokenFile, 'read-token', { mode: 0o400 });
    for (const job of config.scrape_configs) job.authorization.credentials_file = tokenFile;
    config.rule_files = RULE_FILES;
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
    const result = await promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect(result.output).toContain('is valid prometheus config file syntax');
    expect(result.ok).toBe(true);
  });
});

describe('the clear failures the rules watch', () => {
  it('are the outcomes the service starts at 0: every 5xx refusal of a clear but a stop or a full queue', () => {
    const rule = RULE_FILES.flatMap(rulesOf).find((each) => each.record === 'instance_outcome:staging_cleanup_clear_failures:increase30m');
    const outcomes = rule?.expr.match(/outcome=~"([^"]+)"/)?.[1]?.split('|') ?? [];
    expect([...outcomes].sort()).toEqual([...CLEAR_FAILURES].sort());
    expect(CLEAR_FAILURES).toContain('clear_incomplete');
    expect(CLEAR_FAILURES).not.toContain('shutting_down');
    expect(CLEAR_FAILURES).not.toContain('unsynced_files');
  });
});
