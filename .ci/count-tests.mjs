// Prints "PASSED FAILED" from vitest's JSON report. A test file that failed
// without any failed test (it could not load, a hook threw) counts as one
// failure, so that a broken suite never reads as all passed.
import fs from 'node:fs';

const file = process.argv[2] ?? 'reports/vitest.json';
if (!fs.existsSync(file)) {
  console.log('0 1');
  process.exit(0);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const brokenFiles = report.testResults.filter(
  (result) => result.status === 'failed' && !result.assertionResults.some((test) => test.status === 'failed'),
).length;
console.log(`${report.numPassedTests} ${report.numFailedTests + brokenFiles}`);
