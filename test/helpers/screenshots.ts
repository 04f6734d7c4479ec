// Where a test's screenshot goes. The README shows reports/panel.png and
// reports/panel-capacity.png, which are tracked: a test writes there only
// when asked (UPDATE_SCREENSHOTS=1 npm test), and otherwise into
// reports/screenshots/, which git ignores, so a test run leaves the checkout clean.
import fs from 'node:fs';
import path from 'node:path';

const REPORTS = path.join(import.meta.dirname, '..', '..', 'reports');

export function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? REPORTS : path.join(REPORTS, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
