import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_TOKENS, SETTINGS } from '../../src/config/schema.ts';

const readme = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('```yaml', readme.indexOf('## Configuration')));
// The table rows: | `key` | `ENV` | default | meaning |
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| key') && !line.startsWith('| ---'))
  .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, '').trim()));

function shownDefault(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

describe('the configuration schema', () => {
  it('gives every key an environment variable and a one-line description', () => {
    for (const setting of SETTINGS) {
      expect(setting.env).toMatch(/^STAGING_CLEANUP_[A-Z_]+$/);
      expect(setting.description).not.toContain('\n');
    }
  });

  it('is what the README configuration table says: each key, its environment variable and its default', () => {
    const documented = rows.filter((row) => row[0]).map((row) => row[0]);
    expect(documented).toEqual(SETTINGS.map((setting) => `\`${setting.key}\``));
    for (const setting of SETTINGS) {
      const row = rows.find((cells) => cells[0] === `\`${setting.key}\``);
      expect(row?.[1], setting.key).toContain(`\`${setting.env}\``);
      expect(row?.[2], setting.key).toBe(setting.shownDefault ?? shownDefault(setting.default));
    }
    const tokenRow = rows.find((row) => !row[0]);
    for (const { env } of ENV_TOKENS) expect(tokenRow?.[1]).toContain(`\`${env}\``);
  });
});
