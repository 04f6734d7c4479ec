import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function failure(sources: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

function writeConfig(yaml: string): string {
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

describe('configuration', () => {
  it('runs with nothing configured on ./staging, 127.0.0.1:8080, manual mode', () => {
    const { config, stagingRootIsDefault, configFile } = loadConfig({ argv: [], env: {}, cwd: dir });
    expect(config).toMatchObject({
      staging_root: path.join(dir, 'staging'),
      journal_dir: path.join(dir, 'journal'),
      listen: { host: '127.0.0.1', port: 8080 },
      staging_cleanup: { mode: 'manual', retain_hours: 24 },
      sweep_interval_seconds: 300,
      tokens: [],
      verify_before_clear: { local_manifest: true, mtime_tolerance_seconds: 300, nas: 'off' },
      nas_mounts: {},
      log_level: 'info',
      lock_stale_seconds: 20,
      host_label: os.hostname(),
      cors_origins: [],
      allowed_hosts: [],
    });
    expect(stagingRootIsDefault).toBe(true);
    expect(configFile).toBeNull();
  });

  it('reads a YAML file given by --config, then applies environment overrides', () => {
    const file = writeConfig(`
staging_root: /data/staging
listen: { host: 0.0.0.0, port: 9000 }
staging_cleanup: { mode: scheduled, retain_hours: 48 }
tokens:
  - { token: abcdefghijklmnop-clear, scope: clear, name: panel }
nas_mounts: { "//nas01/lab": /mnt/nas01/lab }
`);
    const { config } = loadConfig({ argv: ['--config', file], env: { STAGING_CLEANUP_RETAIN_HOURS: '12' }, cwd: dir });
    expect(config).toMatchObject({
      staging_root: '/data/staging',
      listen: { host: '0.0.0.0', port: 9000 },
      staging_cleanup: { mode: 'scheduled', retain_hours: 12 },
      tokens: [{ token: 'abcdefghijklmnop-clear', scope: 'clear', name: 'panel' }],
      nas_mounts: { '//nas01/lab': '/mnt/nas01/lab' },
    });
  });

  it('finds the file through STAGING_CLEANUP_CONFIG and --config=PATH', () => {
    const file = writeConfig('log_level: debug\n');
    expect(loadConfig({ env: { STAGING_CLEANUP_CONFIG: file }, cwd: dir }).config.log_level).toBe('debug');
    expect(loadConfig({ argv: [`--config=${file}`], env: {}, cwd: dir }).configFile).toBe(file);
  });

  it.each([
    ['retain_hours 0', { STAGING_CLEANUP_RETAIN_HOURS: '0' }, 'staging_cleanup.retain_hours', 'STAGING_CLEANUP_RETAIN_HOURS'],
    ['retain_hours 1.5', { STAGING_CLEANUP_RETAIN_HOURS: '1.5' }, 'staging_cleanup.retain_hours', '1.5'],
    ['an unknown mode', { STAGING_CLEANUP_MODE: 'auto' }, 'staging_cleanup.mode', '"manual"|"scheduled"'],
    ['a port out of range', { STAGING_CLEANUP_LISTEN_PORT: '70000' }, 'listen.port', '65535'],
    ['a bad log level', { STAGING_CLEANUP_LOG_LEVEL: 'loud' }, 'log_level', 'loud'],
    ['a lock stale time under 2 s', { STAGING_CLEANUP_LOCK_STALE_SECONDS: '1' }, 'lock_stale_seconds', '>=2'],
    ['an unknown NAS check', { STAGING_CLEANUP_VERIFY_NAS: 'md5' }, 'verify_before_clear.nas', 'checksum'],
    ['a token that is too short', { STAGING_CLEANUP_CLEAR_TOKEN: 'short' }, 'tokens.0.token', 'at least 16'],
    ['tokens that are not JSON', { STAGING_CLEANUP_TOKENS: '[oops' }, 'STAGING_CLEANUP_TOKENS', 'JSON'],
    ['a boolean that is not one', { STAGING_CLEANUP_VERIFY_LOCAL_MANIFEST: 'maybe' }, 'verify_before_clear.local_manifest', 'boolean'],
    ['an empty value, which would silently mean the default', { STAGING_CLEANUP_LISTEN_PORT: '' }, 'STAGING_CLEANUP_LISTEN_PORT', 'set but empty'],
    ['an empty configuration path', { STAGING_CLEANUP_CONFIG: '' }, 'STAGING_CLEANUP_CONFIG', 'set but empty'],
    ['retain_hours past ten years', { STAGING_CLEANUP_RETAIN_HOURS: '87601' }, 'staging_cleanup.retain_hours', 'at most 87600'],
    ['a clock tolerance past a day', { STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS: '86401' }, 'verify_before_clear.mtime_tolerance_seconds', 'at most 86400'],
    ['more connections than 10000', { STAGING_CLEANUP_HTTP_MAX_CONNECTIONS: '10001' }, 'http.max_connections', 'at most 10000'],
    [
      'no more connections than event-stream clients',
      { STAGING_CLEANUP_HTTP_MAX_CONNECTIONS: '100' },
      'http.max_connections',
      'more than events.max_clients (100)',
    ],
    ['a keep-alive time of 0', { STAGING_CLEANUP_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '0' }, 'http.keep_alive_timeout_seconds', '>=1'],
  ])('refuses %s in one line naming the key', (_, env, key, hint) => {
    const message = failure({ env, cwd: dir });
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(key);
    expect(message).toContain(hint);
  });

  it('takes the ceilings themselves', () => {
    const env = { STAGING_CLEANUP_RETAIN_HOURS: '87600', STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS: '86400' };
    const { config } = loadConfig({ env, cwd: dir });
    expect([config.staging_cleanup.retain_hours, config.verify_before_clear.mtime_tolerance_seconds]).toEqual([87_600, 86_400]);
  });

  it('caps connections at 1024 by default, and at what the file says, above its event-stream clients', () => {
    expect(loadConfig({ env: {}, cwd: dir }).config.http).toEqual({ max_connections: 1024, keep_alive_timeout_seconds: 5 });
    const file = writeConfig('http:\n  max_connections: 10000\n  keep_alive_timeout_seconds: 600\nevents:\n  max_clients: 9999\n');
    expect(loadConfig({ argv: ['--config', file], env: {}, cwd: dir }).config.http).toEqual({
      max_connections: 10_000,
      keep_alive_timeout_seconds: 600,
    });
    expect(failure({ argv: ['--config', writeConfig('http:\n  max_connections: 20\nevents:\n  max_clients: 20\n')], env: {}, cwd: dir })).toMatch(
      /^invalid configuration: http\.max_connections: must be more than events\.max_clients \(20\).*\[.*config\.yaml\]$/,
    );
  });

  it('never prints a token in an error: not its own, not in another key\'s value, not in bad JSON', () => {
    expect(failure({ env: { STAGING_CLEANUP_CLEAR_TOKEN: 'short-secret' }, cwd: dir })).not.toContain('short-secret');
    const file = writeConfig('tokens: [{ token: "super-secret-token-value-123", scope: clear }]\nbogus_key: 1\n');
    const unknownKey = failure({ argv: ['--config', file], env: { STAGING_CLEANUP_CLEAR_TOKEN: 'env-secret-token-abcdef123' }, cwd: dir });
    expect(unknownKey).toContain('bogus_key');
    expect(unknownKey).not.toContain('super-secret-token-value-123');
    expect(unknownKey).not.toContain('env-secret-token-abcdef123');
    const badJson = failure({ env: { STAGING_CLEANUP_TOKENS: '[{"token":"json-secret-token-0123456789"' }, cwd: dir });
    expect(badJson).toContain('STAGING_CLEANUP_TOKENS must be JSON');
    expect(badJson).not.toContain('json-secret');
  });

  it('refuses an unknown key in the file, naming it and the file', () => {
    const file = writeConfig('staging_cleanup: { retain_hour: 5 }\n');
    const message = failure({ argv: ['--config', file], env: {}, cwd: dir });
    expect(message).toContain('retain_hour');
    expect(message).toContain(file);
  });

  it('refuses a file that is not YAML or not a mapping, or cannot be read', () => {
    expect(failure({ argv: ['--config', writeConfig('a: [1,\n')], env: {}, cwd: dir })).toContain('not valid YAML');
    expect(failure({ argv: ['--config', writeConfig('- 1\n- 2\n')], env: {}, cwd: dir })).toContain('mapping');
    expect(failure({ argv: ['--config', path.join(dir, 'none.yaml')], env: {}, cwd: dir })).toContain('Cannot read');
  });

  it('refuses to listen beyond loopback without a token, and allows it with one', () => {
    const message = failure({ env: { STAGING_CLEANUP_LISTEN_HOST: '0.0.0.0' }, cwd: dir });
    expect(message).toContain('listen.host');
    expect(message).toContain('no tokens');
    const env = { STAGING_CLEANUP_LISTEN_HOST: '0.0.0.0', STAGING_CLEANUP_CLEAR_TOKEN: 'a-long-enough-secret' };
    expect(loadConfig({ env, cwd: dir }).config.tokens).toEqual([
      { token: 'a-long-enough-secret', scope: 'clear', name: 'env-clear-token' },
    ]);
  });

  it('refuses arguments it does not know', () => {
    expect(failure({ argv: ['--port', '1'], env: {}, cwd: dir })).toContain('--config');
  });

  it('reads cors_origins as bare origins and allowed_hosts as names, in lower case', () => {
    const env = {
      STAGING_CLEANUP_CORS_ORIGINS: '["https://Wizard.Lab.example/", "http://dashboard.lab.example:3000"]',
      STAGING_CLEANUP_ALLOWED_HOSTS: '["Orchestrator01.lab.example", "[fd00::5]", "10.0.0.5"]',
    };
    const { config } = loadConfig({ env, cwd: dir });
    expect(config.cors_origins).toEqual(['https://wizard.lab.example', 'http://dashboard.lab.example:3000']);
    expect(config.allowed_hosts).toEqual(['orchestrator01.lab.example', 'fd00::5', '10.0.0.5']);
  });

  it('refuses an origin with a path or another scheme, and a host with a port, naming the key', () => {
    for (const origin of ['https://wizard.lab.example/panel', 'ftp://wizard.lab.example', 'wizard.lab.example', '*']) {
      const message = failure({ env: { STAGING_CLEANUP_CORS_ORIGINS: JSON.stringify([origin]) }, cwd: dir });
      expect(message).toContain('cors_origins.0');
      expect(message).toContain('no path');
    }
    const message = failure({ env: { STAGING_CLEANUP_ALLOWED_HOSTS: '["orchestrator01:8080"]' }, cwd: dir });
    expect(message).toContain('allowed_hosts.0');
    expect(message).toContain('without port');
  });

  it('leaves the pressure sweep off when no mark is set', () => {
    expect(loadConfig({ env: {}, cwd: dir }).config.pressure).toEqual({ min_retain_hours: 1 });
  });

  it('reads the pressure marks from the file and the retention from the environment', () => {
    const file = writeConfig('pressure: { high_water_percent: 85, target_percent: 75 }\n');
    const env = { STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '6' };
    expect(loadConfig({ argv: ['--config', file], env, cwd: dir }).config.pressure).toEqual({
      high_water_percent: 85,
      target_percent: 75,
      min_retain_hours: 6,
    });
  });

  it('refuses a pressure policy whose target is not below its high-water mark, or that is half set, in one line naming the key', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '80', STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '80' }, 'pressure.target_percent: must be below pressure.high_water_percent (80)'],
      [{ STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '80' }, 'pressure.target_percent: set both'],
      [{ STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '60' }, 'pressure.high_water_percent: set both'],
      [{ STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '100', STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '60' }, 'pressure.high_water_percent: Too big'],
      [{ STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '-1' }, 'pressure.min_retain_hours: Too small'],
    ];
    for (const [env, expected] of cases) {
      const lines = failure({ env, cwd: dir }).split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(expected);
    }
  });
});
