// Deployable without Docker: ops/systemd/staging-cleanup.service passes
// systemd's own check, and says what the README promises (a user of its own,
// nothing writable but the staging tree and the journal, restarts on failure,
// the token from a file only root reads), agreeing with the config beside it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { makeTempDir } from './helpers/stagingTree.ts';

const SYSTEMD_DIR = path.join(import.meta.dirname, '..', 'ops', 'systemd');
const UNIT = path.join(SYSTEMD_DIR, 'staging-cleanup.service');
const ANALYZE = '/usr/bin/systemd-analyze';

// Each setting of a section, in order (a key may repeat).
function settingsOf(text: string, section: string): Array<[string, string]> {
  const body = text.split(/^\[/m).find((part) => part.startsWith(`${section}]`)) ?? '';
  return body
    .split('\n')
    .slice(1)
    .filter((line) => /^[A-Za-z]/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)];
    });
}

// What systemd-analyze verify says of a unit file (as a copy in its own
// folder, naming the node that runs these tests where the unit names
// Debian's, which verify requires to exist).
function verify(text: string): { status: number | null; said: string } {
  const dir = makeTempDir();
  try {
    fs.writeFileSync(path.join(dir, 'staging-cleanup.service'), text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
    const run = spawnSync(ANALYZE, ['verify', '--man=no', './staging-cleanup.service'], { cwd: dir, encoding: 'utf8' });
    return { status: run.status, said: `${run.stdout}${run.stderr}`.trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ops/systemd/staging-cleanup.service', () => {
  const text = fs.readFileSync(UNIT, 'utf8');
  const service = new Map(settingsOf(text, 'Service'));

  it.skipIf(!fs.existsSync(ANALYZE))('passes systemd-analyze verify without a word', () => {
    expect(verify(text)).toEqual({ status: 0, said: '' });
  });

  it.skipIf(!fs.existsSync(ANALYZE))('would be faulted by systemd-analyze verify if a setting were mistyped', () => {
    const broken = verify(text.replace('ProtectSystem=strict', 'ProtectSystem=strickt'));
    expect(broken.said).toContain('strickt');
  });

  it('runs as a user of its own, never root, restarted on failure, with no way to gain privileges', () => {
    expect(service.get('User')).toBe('staging-cleanup');
    expect(service.get('Restart')).toBe('on-failure');
    expect(service.get('NoNewPrivileges')).toBe('yes');
    expect(service.get('CapabilityBoundingSet')).toBe('');
  });

  it('makes the whole system read-only but the staging root and the journal its config names', () => {
    expect(service.get('ProtectSystem')).toBe('strict');
    const writable = (service.get('ReadWritePaths') ?? '').split(/\s+/);
    const configFile = path.join(SYSTEMD_DIR, 'config.yaml');
    const { config } = loadConfig({ argv: ['--config', configFile], env: {} });
    expect(writable.sort()).toEqual([config.staging_root, config.journal_dir].sort());
    expect(service.get('ExecStart')).toBe('/usr/bin/node --max-semi-space-size=2 /opt/staging-cleanup/dist/main.js --config /etc/staging-cleanup/config.yaml');
  });

  it('takes the token from an environment file, not from its config or the unit', () => {
    expect(service.get('EnvironmentFile')).toBe('/etc/staging-cleanup/staging-cleanup.env');
    expect(text).not.toMatch(/^Environment=.*TOKEN/m);
    expect(fs.readFileSync(path.join(SYSTEMD_DIR, 'config.yaml'), 'utf8')).not.toMatch(/^tokens:/m);
  });
});
