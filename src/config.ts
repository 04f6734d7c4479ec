// The service configuration (DESIGN §6): one YAML file and environment
// overrides, validated once at start. A bad value stops the start with a
// message that names the key, where it came from, and what is allowed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CLEANUP_MODES } from './domain/policy.ts';

export const TOKEN_SCOPES = ['read', 'clear'] as const;
export const NAS_CHECKS = ['off', 'size', 'checksum'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MIN_TOKEN_LENGTH = 16;

const tokenSchema = z.strictObject({
  token: z.string().min(MIN_TOKEN_LENGTH, `a token must be at least ${MIN_TOKEN_LENGTH} characters`),
  scope: z.enum(TOKEN_SCOPES),
  name: z.string().min(1).optional(),
});

const configSchema = z.strictObject({
  staging_root: z.string().min(1).default('./staging'),
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.int().min(0).max(65_535).default(8080),
    })
    .prefault({}),
  staging_cleanup: z
    .strictObject({
      mode: z.enum(CLEANUP_MODES).default('manual'),
      retain_hours: z.int().min(1).default(24),
    })
    .prefault({}),
  sweep_interval_seconds: z.int().min(1).default(300),
  journal_dir: z.string().min(1).default('./journal'),
  tokens: z.array(tokenSchema).default([]),
  verify_before_clear: z
    .strictObject({
      local_manifest: z.boolean().default(true),
      mtime_tolerance_seconds: z.int().min(0).default(300),
      nas: z.enum(NAS_CHECKS).default('off'),
    })
    .prefault({}),
  nas_mounts: z.record(z.string().min(1), z.string().min(1)).default({}),
  log_level: z.enum(LOG_LEVELS).default('info'),
  lock_stale_seconds: z.int().min(2).max(3600).default(20),
  host_label: z.string().min(1).default(os.hostname()),
  // A larger ingest.json is not read: the run is listed as a problem.
  ingest_max_bytes: z.int().min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
});

export type AppConfig = z.output<typeof configSchema>;
export type TokenConfig = z.output<typeof tokenSchema>;

type EnvKind = 'string' | 'integer' | 'boolean' | 'json';

// Environment overrides, by variable: the key each one sets and how it reads.
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; key: string; kind: EnvKind }> = [
  { env: 'STAGING_CLEANUP_STAGING_ROOT', key: 'staging_root', kind: 'string' },
  { env: 'STAGING_CLEANUP_LISTEN_HOST', key: 'listen.host', kind: 'string' },
  { env: 'STAGING_CLEANUP_LISTEN_PORT', key: 'listen.port', kind: 'integer' },
  { env: 'STAGING_CLEANUP_MODE', key: 'staging_cleanup.mode', kind: 'string' },
  { env: 'STAGING_CLEANUP_RETAIN_HOURS', key: 'staging_cleanup.retain_hours', kind: 'integer' },
  { env: 'STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS', key: 'sweep_interval_seconds', kind: 'integer' },
  { env: 'STAGING_CLEANUP_JOURNAL_DIR', key: 'journal_dir', kind: 'string' },
  { env: 'STAGING_CLEANUP_TOKENS', key: 'tokens', kind: 'json' },
  { env: 'STAGING_CLEANUP_VERIFY_LOCAL_MANIFEST', key: 'verify_before_clear.local_manifest', kind: 'boolean' },
  { env: 'STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS', key: 'verify_before_clear.mtime_tolerance_seconds', kind: 'integer' },
  { env: 'STAGING_CLEANUP_VERIFY_NAS', key: 'verify_before_clear.nas', kind: 'string' },
  { env: 'STAGING_CLEANUP_NAS_MOUNTS', key: 'nas_mounts', kind: 'json' },
  { env: 'STAGING_CLEANUP_LOG_LEVEL', key: 'log_level', kind: 'string' },
  { env: 'STAGING_CLEANUP_LOCK_STALE_SECONDS', key: 'lock_stale_seconds', kind: 'integer' },
  { env: 'STAGING_CLEANUP_HOST_LABEL', key: 'host_label', kind: 'string' },
  { env: 'STAGING_CLEANUP_INGEST_MAX_BYTES', key: 'ingest_max_bytes', kind: 'integer' },
];

// One token each, for a container that takes its secret from the environment.
export const ENV_TOKENS = [
  { env: 'STAGING_CLEANUP_CLEAR_TOKEN', scope: 'clear', name: 'env-clear-token' },
  { env: 'STAGING_CLEANUP_READ_TOKEN', scope: 'read', name: 'env-read-token' },
] as const;

export const CONFIG_PATH_ENV = 'STAGING_CLEANUP_CONFIG';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: AppConfig;
  // Whether staging_root was left to its default (then the folder is created).
  stagingRootIsDefault: boolean;
  configFile: string | null;
}

export interface ConfigSources {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const configFile = configPathFrom(sources.argv ?? [], env);
  const raw = configFile ? readConfigFile(path.resolve(cwd, configFile)) : {};
  const origins = new Map<string, string>();
  for (const { env: name, key, kind } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, key, readEnvValue(name, value, kind));
    origins.set(key, name);
  }
  for (const { env: name, scope, name: tokenName } of ENV_TOKENS) {
    const token = env[name];
    if (!token) continue;
    const tokens = Array.isArray(raw.tokens) ? raw.tokens : [];
    raw.tokens = [...tokens, { token, scope, name: tokenName }];
    origins.set('tokens', name);
  }
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, origins, configFile));
    throw new ConfigError(`Invalid configuration:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
  }
  const config = {
    ...parsed.data,
    staging_root: path.resolve(cwd, parsed.data.staging_root),
    journal_dir: path.resolve(cwd, parsed.data.journal_dir),
  };
  checkListenSafety(config);
  return { config, stagingRootIsDefault: raw.staging_root === undefined, configFile };
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

// Deleting data over an open port without a token is never what anyone wants.
function checkListenSafety(config: AppConfig): void {
  if (config.tokens.length === 0 && !isLoopback(config.listen.host)) {
    throw new ConfigError(
      `Invalid configuration:\n  - listen.host: ${config.listen.host} is not loopback, and no tokens are configured. ` +
        'Configure tokens (or STAGING_CLEANUP_CLEAR_TOKEN), or listen on 127.0.0.1.',
    );
  }
}

function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--config') {
      const value = argv[index + 1];
      if (!value) throw new ConfigError('--config needs a path: --config /etc/staging-cleanup.yaml');
      return value;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
    throw new ConfigError(`Unknown argument ${arg}; the only option is --config PATH.`);
  }
  return env[CONFIG_PATH_ENV] || null;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`The configuration file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`The configuration file ${file} must hold a mapping of keys (see the README).`);
  }
  return value as Record<string, unknown>;
}

function readEnvValue(name: string, value: string, kind: EnvKind): unknown {
  if (kind === 'string') return value;
  if (kind === 'integer') return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    return value;
  }
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  - ${name} must be JSON (see the README), got ${value.slice(0, 40)}`);
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const child = node[part];
    node = typeof child === 'object' && child !== null ? (child as Record<string, unknown>) : (node[part] = {});
  }
  node[parts.at(-1) as string] = value;
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, string>, file: string | null): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const origin = origins.get(key) ?? origins.get(key.split('.')[0] ?? '') ?? (file ? `in ${file}` : 'default');
  const got = 'input' in issue && issue.input !== undefined && !isSecretKey(key) ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${key}: ${issue.message}${got} [${origin}]`;
}

function isSecretKey(key: string): boolean {
  return key.startsWith('tokens');
}
