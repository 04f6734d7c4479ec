// The service configuration (README "Configuration"), one schema: each key carries its
// default, its environment variable and a one-line description. The loader
// (load.ts) reads the file and the environment against it; the README's
// configuration table is checked against `SETTINGS` (test/config/schema.test.ts).
// One schema, every key in one place, hence its length.
import os from 'node:os';
import { z } from 'zod';
import { CLEANUP_MODES, MAX_CLOCK_TOLERANCE_SECONDS, MAX_RETAIN_HOURS } from '../domain/policy.ts';

const TOKEN_SCOPES = ['read', 'clear'] as const;
const NAS_CHECKS = ['off', 'size', 'checksum'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MIN_TOKEN_LENGTH = 16;
const MAX_SWEEP_INTERVAL_SECONDS = 86_400;
const MIN_CONNECTIONS = 8;
const MAX_CONNECTIONS = 10_000;

interface SettingMeta {
  env: string;
  description: string;
  // The default as the README shows it, when it is not a plain value.
  shownDefault?: string;
}

// A key's schema with what a person needs to set it.
const setting = <T extends z.ZodType>(schema: T, meta: SettingMeta): T => schema.meta({ ...meta });

const tokenSchema = z.strictObject({
  token: z.string().min(MIN_TOKEN_LENGTH, `a token must be at least ${MIN_TOKEN_LENGTH} characters`),
  scope: z.enum(TOKEN_SCOPES),
  name: z.string().min(1).optional(),
});

// A web origin as a browser sends it: scheme://host[:port], nothing more.
const webOrigin = z
  .string()
  .refine((text) => originOf(text) !== null, {
    message: 'an origin is http(s)://host[:port] with no path, e.g. https://wizard.lab.example',
  })
  .transform((text) => originOf(text) as string);

function originOf(text: string): string | null {
  const url = URL.parse(text);
  const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  return bare && /^https?:$/.test(url.protocol) && !text.endsWith('#') && !text.endsWith('?') ? url.origin : null;
}

// A name or address clients use for this service, without a port.
const hostName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[?[0-9a-f:.]+\]?)$/i, 'a host name or address without port, e.g. orchestrator01.lab.example')
  .transform((text) => text.toLowerCase().replace(/^\[(.*)\]$/, '$1'));

export const configSchema = z.strictObject({
  staging_root: setting(z.string().min(1).default('./staging'), {
    env: 'STAGING_CLEANUP_STAGING_ROOT',
    description: "the orchestrator's staging folder; created only when left to the default",
  }),
  listen: z
    .strictObject({
      host: setting(z.string().min(1).default('127.0.0.1'), {
        env: 'STAGING_CLEANUP_LISTEN_HOST',
        description: 'anything but loopback needs a token',
      }),
      port: setting(z.int().min(0).max(65_535).default(8080), {
        env: 'STAGING_CLEANUP_LISTEN_PORT',
        description: 'the TCP port',
      }),
    })
    .prefault({}),
  staging_cleanup: z
    .strictObject({
      mode: setting(z.enum(CLEANUP_MODES).default('manual'), {
        env: 'STAGING_CLEANUP_MODE',
        description: 'manual: only operators clear; scheduled: the sweep clears what is due',
      }),
      retain_hours: setting(
        z.int().min(1).max(MAX_RETAIN_HOURS, `at most ${MAX_RETAIN_HOURS} (ten years); longer would in effect switch the sweep off`).default(24),
        {
          env: 'STAGING_CLEANUP_RETAIN_HOURS',
          description: `hours a verified run is kept before the sweep may clear it (1 to ${MAX_RETAIN_HOURS}, ten years)`,
        },
      ),
    })
    .prefault({}),
  sweep_interval_seconds: setting(
    z.int().min(1).max(MAX_SWEEP_INTERVAL_SECONDS, `at most ${MAX_SWEEP_INTERVAL_SECONDS} (a day); longer would in effect switch the sweep off`).default(300),
    {
      env: 'STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS',
      description: `how often the sweep runs in scheduled mode, or with a pressure policy (1 to ${MAX_SWEEP_INTERVAL_SECONDS}, a day)`,
    },
  ),
  journal_dir: setting(z.string().min(1).default('./journal'), {
    env: 'STAGING_CLEANUP_JOURNAL_DIR',
    description: 'where the clear journal is kept, outside the staging tree',
  }),
  journal: z
    .strictObject({
      rotate_kib: setting(
        z
          .int()
          .min(64)
          .max(1024 * 1024)
          .default(16 * 1024),
        {
          env: 'STAGING_CLEANUP_JOURNAL_ROTATE_KIB',
          description:
            "once this replica's journal file reaches this size it is set aside whole and a new one begun (16 MiB: about 40,000 clears)",
        },
      ),
      keep_rotated: setting(z.int().min(1).max(1000).default(4), {
        env: 'STAGING_CLEANUP_JOURNAL_KEEP_ROTATED',
        description:
          'set-aside journal files kept (still read); older ones are deleted with their records, after which a clear of a run ' +
          'that is gone answers run_not_found rather than already_cleared',
      }),
    })
    .prefault({}),
  tokens: setting(z.array(tokenSchema).default([]), {
    env: 'STAGING_CLEANUP_TOKENS',
    description: 'bearer tokens [{token, scope: read|clear, name?}] (JSON list in the environment)',
    shownDefault: 'none',
  }),
  cors_origins: setting(z.array(webOrigin).default([]), {
    env: 'STAGING_CLEANUP_CORS_ORIGINS',
    description: 'web pages on other origins that may call the API from a browser (JSON list in the environment)',
    shownDefault: 'none',
  }),
  allowed_hosts: setting(z.array(hostName).default([]), {
    env: 'STAGING_CLEANUP_ALLOWED_HOSTS',
    description: 'host names the service answers to besides loopback and its listen address (JSON list in the environment)',
    shownDefault: 'none',
  }),
  verify_before_clear: z
    .strictObject({
      local_manifest: setting(z.boolean().default(true), {
        env: 'STAGING_CLEANUP_VERIFY_LOCAL_MANIFEST',
        description: "check every staged file against the run's checksum manifest and verification time",
      }),
      mtime_tolerance_seconds: setting(
        z
          .int()
          .min(0)
          .max(MAX_CLOCK_TOLERANCE_SECONDS, `at most ${MAX_CLOCK_TOLERANCE_SECONDS} (a day); more would in effect switch the time checks off`)
          .default(300),
        {
          env: 'STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS',
          description:
            `clock skew allowed before a file counts as changed after verification, and by which a verification time may be ahead of this clock (0 to ${MAX_CLOCK_TOLERANCE_SECONDS}, a day)`,
        },
      ),
      nas: setting(z.enum(NAS_CHECKS).default('off'), {
        env: 'STAGING_CLEANUP_VERIFY_NAS',
        description: 'off, size or checksum: what the NAS copy must match',
      }),
    })
    .prefault({}),
  nas_mounts: setting(z.record(z.string().min(1), z.string().min(1)).default({}), {
    env: 'STAGING_CLEANUP_NAS_MOUNTS',
    description: 'NAS path prefix to local mount (JSON object in the environment)',
  }),
  log_level: setting(z.enum(LOG_LEVELS).default('info'), {
    env: 'STAGING_CLEANUP_LOG_LEVEL',
    description: 'pino level',
  }),
  host_label: setting(z.string().min(1).default(os.hostname()), {
    env: 'STAGING_CLEANUP_HOST_LABEL',
    description: "names this replica's journal file, its entries and its run locks; unique per replica",
    shownDefault: 'the hostname',
  }),
  lock_stale_seconds: setting(z.int().min(2).max(3600).default(20), {
    env: 'STAGING_CLEANUP_LOCK_STALE_SECONDS',
    description: "when another host's run lock, not refreshed, is taken over",
  }),
  ingest_max_bytes: setting(
    z
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    {
      env: 'STAGING_CLEANUP_INGEST_MAX_BYTES',
      description: 'a larger ingest.json is not read: the run is listed as a problem',
    },
  ),
  jobs: z
    .strictObject({
      max_pending: setting(z.int().min(1).max(10_000).default(20), {
        env: 'STAGING_CLEANUP_JOBS_MAX_PENDING',
        description: 'jobs queued or running at most; beyond, a clear asked for as a job answers 503 job_queue_full',
      }),
      concurrency: setting(z.int().min(1).max(64).default(2), {
        env: 'STAGING_CLEANUP_JOBS_CONCURRENCY',
        description: 'jobs that clear at the same time; the others wait, queued',
      }),
    })
    .prefault({}),
  index: z
    .strictObject({
      notifications: setting(z.boolean().default(true), {
        env: 'STAGING_CLEANUP_INDEX_NOTIFICATIONS',
        description: "keep the index of the staging tree by the kernel's change notifications (inotify); false: every answer walks the tree",
      }),
      max_watches: setting(z.int().min(16).max(1_000_000).default(65_536), {
        env: 'STAGING_CLEANUP_INDEX_MAX_WATCHES',
        description: "folders watched at most (the kernel's max_user_watches is shared by the user's processes); runs beyond are read again on every answer",
      }),
    })
    .prefault({}),
  events: z
    .strictObject({
      max_clients: setting(z.int().min(1).max(10_000).default(100), {
        env: 'STAGING_CLEANUP_EVENTS_MAX_CLIENTS',
        description: 'event-stream clients at most; beyond, 503 event_clients_full',
      }),
      client_backlog_kib: setting(z.int().min(4).max(64 * 1024).default(32), {
        env: 'STAGING_CLEANUP_EVENTS_CLIENT_BACKLOG_KIB',
        description: 'events queued for a client that does not read, at most; beyond, it is dropped with a last event saying why',
      }),
    })
    .prefault({}),
  // The disk-pressure sweep: off unless both marks are set, checked together.
  pressure: z
    .strictObject({
      high_water_percent: setting(z.int().min(1).max(99).optional(), {
        env: 'STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT',
        description: 'past this much of the staging volume used, the sweep clears verified runs oldest-verified first',
        shownDefault: 'off',
      }),
      target_percent: setting(z.int().min(1).max(98).optional(), {
        env: 'STAGING_CLEANUP_PRESSURE_TARGET_PERCENT',
        description: 'it stops once usage is at or under this; below high_water_percent',
        shownDefault: 'off',
      }),
      min_retain_hours: setting(z.int().min(0).max(8760).default(1), {
        env: 'STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS',
        description: 'it never clears a run verified less than this long ago',
      }),
    })
    .superRefine((pressure, context) => {
      const { high_water_percent: high, target_percent: target } = pressure;
      if ((high === undefined) !== (target === undefined)) {
        const missing = high === undefined ? 'high_water_percent' : 'target_percent';
        context.addIssue({
          code: 'custom',
          path: [missing],
          message: 'set both pressure.high_water_percent and pressure.target_percent, or neither (the pressure sweep is then off)',
        });
      } else if (high !== undefined && target !== undefined && target >= high) {
        context.addIssue({
          code: 'custom',
          path: ['target_percent'],
          input: target,
          message: `must be below pressure.high_water_percent (${high}), so that a sweep leaves room before the next`,
        });
      }
    })
    .prefault({}),
  request_timeout_seconds: setting(z.int().min(1).max(3600).default(60), {
    env: 'STAGING_CLEANUP_REQUEST_TIMEOUT_SECONDS',
    description: 'a request (headers and body) not received whole in this time answers 408 request_timeout',
  }),
  // Each connection holds a file descriptor, which clears, listings and the
  // journal need too: idle ones must not take them all.
  http: z
    .strictObject({
      max_connections: setting(
        z.int().min(MIN_CONNECTIONS).max(MAX_CONNECTIONS, `at most ${MAX_CONNECTIONS}; each connection holds a file descriptor`).default(1024),
        {
          env: 'STAGING_CLEANUP_HTTP_MAX_CONNECTIONS',
          description: 'connections open at once, at most; a connection beyond is closed at once',
        },
      ),
      keep_alive_timeout_seconds: setting(z.int().min(1).max(600).default(5), {
        env: 'STAGING_CLEANUP_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS',
        description: 'a connection left idle after an answer is closed after this long',
      }),
    })
    .prefault({}),
}).superRefine((config, context) => {
  // Event streams hold their connections: requests need some left.
  if (config.http.max_connections <= config.events.max_clients) {
    context.addIssue({
      code: 'custom',
      path: ['http', 'max_connections'],
      input: config.http.max_connections,
      message: `must be more than events.max_clients (${config.events.max_clients}), so that event streams leave connections for requests`,
    });
  }
});

export type AppConfig = z.output<typeof configSchema>;
export type TokenConfig = z.output<typeof tokenSchema>;

// How an environment value is read into its key.
export type EnvKind = 'string' | 'integer' | 'boolean' | 'json';

interface Setting extends SettingMeta {
  key: string;
  kind: EnvKind;
  default: unknown;
}

const KINDS: Record<string, EnvKind> = { number: 'integer', boolean: 'boolean', array: 'json', record: 'json' };

// Every key of the schema with its metadata, in schema order.
function settingsOf(shape: Record<string, z.ZodType>, prefix = ''): Setting[] {
  return Object.entries(shape).flatMap(([name, schema]) => {
    const key = `${prefix}${name}`;
    const meta = z.globalRegistry.get(schema) as SettingMeta | undefined;
    const inner = (schema as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType ?? schema;
    if (!meta && inner instanceof z.ZodObject) return settingsOf(inner.shape as Record<string, z.ZodType>, `${key}.`);
    if (!meta) throw new Error(`configuration key ${key} has no environment name and description`);
    const type = (inner as unknown as { _zod: { def: { type: string } } })._zod.def.type;
    return [{ key, ...meta, kind: KINDS[type] ?? 'string', default: schema.parse(undefined) }];
  });
}

export const SETTINGS: readonly Setting[] = settingsOf(configSchema.shape as Record<string, z.ZodType>);

// One token each, for a container that takes its secret from the environment.
export const ENV_TOKENS = [
  { env: 'STAGING_CLEANUP_CLEAR_TOKEN', scope: 'clear', name: 'env-clear-token' },
  { env: 'STAGING_CLEANUP_READ_TOKEN', scope: 'read', name: 'env-read-token' },
] as const;

export const CONFIG_PATH_ENV = 'STAGING_CLEANUP_CONFIG';
