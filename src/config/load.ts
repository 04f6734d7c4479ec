// Loads the configuration (schema.ts): one YAML file and environment
// overrides, validated once at start. A bad value stops the start with one
// line per problem that names the key, where it came from, and what is
// allowed. A setting that would switch a check off is such a problem: an
// empty environment value (it would silently mean the default), a bound past
// its ceiling, a staging root or journal in the wrong place (pathSafety.ts).
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { pathProblems } from './pathSafety.ts';
import { CONFIG_PATH_ENV, configSchema, ENV_TOKENS, SETTINGS, type AppConfig, type EnvKind } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';

  // Each problem is one line, printed as it is.
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

const invalid = (line: string): ConfigError => new ConfigError([`invalid configuration: ${line}`]);

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
  const empty = [...SETTINGS, ...ENV_TOKENS].filter(({ env: name }) => env[name]?.trim() === '');
  if (empty.length > 0) {
    throw new ConfigError(
      empty.map(({ env: name }) => `invalid configuration: ${name} is set but empty; unset it to take the default, or give it a value`),
    );
  }
  for (const { env: name, key, kind } of SETTINGS) {
    const value = env[name];
    if (value === undefined) continue;
    setPath(raw, key, readEnvValue(name, value, kind));
    origins.set(key, name);
  }
  for (const { env: name, scope, name: tokenName } of ENV_TOKENS) {
    const token = env[name];
    if (token === undefined) continue;
    const tokens = Array.isArray(raw.tokens) ? raw.tokens : [];
    raw.tokens = [...tokens, { token, scope, name: tokenName }];
    origins.set('tokens', name);
  }
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `invalid configuration: ${describeIssue(issue, origins, configFile)}`));
  }
  const config = {
    ...parsed.data,
    staging_root: path.resolve(cwd, parsed.data.staging_root),
    journal_dir: path.resolve(cwd, parsed.data.journal_dir),
  };
  const misplaced = pathProblems(config);
  if (misplaced.length > 0) {
    throw new ConfigError(misplaced.map(([key, why]) => `invalid configuration: ${key}: ${why} [${originOf(key, origins, configFile)}]`));
  }
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
    throw invalid(
      `listen.host: ${config.listen.host} is not loopback, and no tokens are configured. ` +
        'Configure tokens (or STAGING_CLEANUP_CLEAR_TOKEN), or listen on 127.0.0.1.',
    );
  }
}

function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--config') {
      const value = argv[index + 1];
      if (!value) throw new ConfigError(['--config needs a path: --config /etc/staging-cleanup.yaml']);
      return value;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
    throw new ConfigError([`Unknown argument ${arg}; the only option is --config PATH.`]);
  }
  if (env[CONFIG_PATH_ENV]?.trim() === '') {
    throw invalid(`${CONFIG_PATH_ENV} is set but empty; unset it, or give the path of the configuration file`);
  }
  return env[CONFIG_PATH_ENV] ?? null;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`Cannot read the configuration file ${file}: ${(error as Error).message}`]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`The configuration file ${file} is not valid YAML: ${firstLine((error as Error).message)}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([`The configuration file ${file} must hold a mapping of keys (see the README).`]);
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
    throw invalid(`${name} must be JSON (see the README)${got}`);
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

// Where a key's value came from: its environment variable, the file, or the default.
function originOf(key: string, origins: Map<string, string>, file: string | null): string {
  return origins.get(key) ?? origins.get(key.split('.')[0] ?? '') ?? (file ? `in ${file}` : 'default');
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, string>, file: string | null): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const got = 'input' in issue ? shownInput(key, issue.input) : '';
  return `${key}: ${issue.message}${got} [${originOf(key, origins, file)}]`;
}

const firstLine = (text: string): string => text.split('\n')[0] ?? text;

// The value a key was given, for the message: a scalar only (an object or a
// list may hold a token), and nothing of a secret key.
function shownInput(key: string, input: unknown): string {
  const scalar = input === null || ['string', 'number', 'boolean'].includes(typeof input);
  return scalar && !isSecretKey(key) ? ` (got ${JSON.stringify(input)})` : '';
}

function isSecretKey(key: string): boolean {
  return key.startsWith('tokens');
}
