// A separate process that clears the given runs with its own service, for
// the cross-process race test. Prints one JSON result per run on stdout.
// Usage: raceClearer.ts <staging_root> <journal_dir> <host_label> <go_file> <run_path>...
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';

const [stagingRoot, journalDir, hostLabel, goFile, ...runPaths] = process.argv.slice(2);
if (!stagingRoot || !journalDir || !hostLabel || !goFile) throw new Error('usage: see the header');

const { config } = loadConfig({
  env: { STAGING_CLEANUP_STAGING_ROOT: stagingRoot, STAGING_CLEANUP_JOURNAL_DIR: journalDir, STAGING_CLEANUP_HOST_LABEL: hostLabel },
});
const service = compose(config, { logger: pino({ level: 'silent' }) });
// Warm the worker, then start together with the other process.
await service.runs.listRuns();
process.stdout.write('ready\n');
while (!fs.existsSync(goFile)) await sleep(5);
const results = await Promise.all(
  runPaths.map((runPath) =>
    service.clearer.clear(runPath, { actor: hostLabel }).then(
      (answer) => ({ run_path: runPath, outcome: answer.outcome, files_freed: answer.files_freed }),
      (error: { code?: string; message: string }) => ({ run_path: runPath, outcome: error.code ?? `crash: ${error.message}` }),
    ),
  ),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
await service.close();
