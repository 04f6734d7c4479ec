// Loads the configuration (schema.ts): one YAML file and environment
// overrides, validated once at start. A bad value stops the start with a
// message that names the key, where it came from, and what is allowed.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CONFIG_PATH_ENV, configSchema, ENV_TOKENS, SETTINGS, type AppConfig, type EnvKind } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface LoadedConfig {
  config: AppConfig;
  // Whether staging_root was left to its default (then the folder is created).
  stagingRootIsDefault: boolean;
  configFile: string | null;
}

interface ConfigSources {
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
  for (const { env: name, key, kind } of SETTINGS) {
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
    const got = isSecretKey(name.replace(/^STAGING_CLEANUP_/, '').toLowerCase()) ? '' : `, got ${value.slice(0, 40)}`;
    throw new ConfigError(`Invalid configuration:\n  - ${name} must be JSON (see the README)${got}`);
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
  const got = 'input' in issue ? shownInput(key, issue.input) : '';
  return `${key}: ${issue.message}${got} [${origin}]`;
}

// The value a key was given, for the message: a scalar only (an object or a
// list may hold a token), and nothing of a secret key.
function shownInput(key: string, input: unknown): string {
  const scalar = input === null || ['string', 'number', 'boolean'].includes(typeof input);
  return scalar && !isSecretKey(key) ? ` (got ${JSON.stringify(input)})` : '';
}

function isSecretKey(key: string): boolean {
  return key.startsWith('tokens');
}
