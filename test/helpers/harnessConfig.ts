// The configuration a test's program runs with: the settings a user would
// give (STAGING_CLEANUP_*) on the test's own folders, and, for the service's
// own tests, settings in the service's terms over them.
import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/schema.ts';
import type { PolicySettings } from '../../src/domain/policy.ts';
import type { PressureSettings } from '../../src/domain/pressurePlan.ts';
import type { VerificationSettings } from '../../src/service/preClearCheck.ts';

// The configuration from the environment given, on the given folders.
export function loadTestConfig(root: string, journalDir: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    env: {
      STAGING_CLEANUP_STAGING_ROOT: root,
      STAGING_CLEANUP_JOURNAL_DIR: journalDir,
      STAGING_CLEANUP_HOST_LABEL: 'test-host',
      ...env,
    },
  }).config;
}

export interface HarnessOptions {
  policy?: Partial<Pick<PolicySettings, 'mode' | 'retainHours'>>;
  verification?: Partial<VerificationSettings>;
  // Any marks, even ones a user may not set (0: always past the mark).
  pressure?: PressureSettings;
}

// The configuration the options describe, on the given folders.
export function harnessConfig(options: HarnessOptions, root: string, journalDir: string): AppConfig {
  const config = loadTestConfig(root, journalDir);
  const { policy = {}, verification = {} } = options;
  return {
    ...config,
    staging_cleanup: {
      mode: policy.mode ?? config.staging_cleanup.mode,
      retain_hours: policy.retainHours ?? config.staging_cleanup.retain_hours,
    },
    verify_before_clear: {
      local_manifest: verification.localManifest ?? config.verify_before_clear.local_manifest,
      mtime_tolerance_seconds: verification.mtimeToleranceSeconds ?? config.verify_before_clear.mtime_tolerance_seconds,
      nas: verification.nas ?? config.verify_before_clear.nas,
    },
    nas_mounts: verification.nasMounts ?? config.nas_mounts,
    ...(options.pressure
      ? {
          pressure: {
            high_water_percent: options.pressure.highWaterPercent,
            target_percent: options.pressure.targetPercent,
            min_retain_hours: options.pressure.minRetainHours,
          },
        }
      : {}),
  };
}
