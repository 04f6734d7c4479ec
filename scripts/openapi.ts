// Writes openapi/openapi.json from the routes (npm run openapi), or checks
// that the committed file is what the routes produce (npm run openapi:check).
// Usage: openapi.ts [--check] [--file PATH]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { compose } from '../src/compose.ts';
import { buildApp } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const fileArg = args.indexOf('--file');
const file = fileArg === -1 ? path.join(import.meta.dirname, '..', 'openapi', 'openapi.json') : args[fileArg + 1];
if (!file) throw new Error('--file needs a path');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
try {
  const { config } = loadConfig({
    env: { STAGING_CLEANUP_STAGING_ROOT: path.join(scratch, 'staging'), STAGING_CLEANUP_JOURNAL_DIR: path.join(scratch, 'journal') },
  });
  const logger = createLogger('silent', 'openapi');
  const program = compose(config, { logger });
  const app = await buildApp(program, { logger, config });
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await program.close();
  if (!check) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, document);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  } else if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== document) {
    console.error(`${path.relative(process.cwd(), file)} differs from what the routes produce: run npm run openapi and commit it.`);
    process.exitCode = 1;
  } else {
    console.log(`${path.relative(process.cwd(), file)} matches the routes`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
