// ops/grafana/staging-cleanup.json against Grafana's published schema
// (@grafana/schema): the JSON is compiled by TypeScript as an object
// literal that must satisfy ShippedDashboard (test/helpers/grafanaDashboard.ts).
// The package ships types, no JSON Schema, so tsc is the validator. Deliberate
// errors in scratch copies are refused; the shipped file passes, at the
// schemaVersion the package's own default dashboard carries.
import fs from 'node:fs';
import path from 'node:path';
import { defaultDashboard } from '@grafana/schema';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FILE } from '../helpers/promql.ts';

const repo = path.join(import.meta.dirname, '..', '..');
// A file that is never written: the compiler host answers for it.
const CHECK_FILE = path.join(repo, 'test', 'helpers', '__dashboard_check__.ts');
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: [],
};

// What tsc says of a dashboard, one line per error.
function schemaErrors(dashboard: unknown): string[] {
  const source = `import type { ShippedDashboard } from './grafanaDashboard.ts';\nexport const dashboard = ${JSON.stringify(dashboard, null, 2)} satisfies ShippedDashboard;\n`;
  const host = ts.createCompilerHost(OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => file === CHECK_FILE || fileExists(file);
  host.readFile = (file) => (file === CHECK_FILE ? source : readFile(file));
  host.getSourceFile = (file, language, ...rest) =>
    file === CHECK_FILE ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest);
  const program = ts.createProgram([CHECK_FILE], OPTIONS, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : null;
    return `${where ? `line ${where.line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
  });
}

const shipped = (): { schemaVersion: number; panels: Array<Record<string, unknown>> } => JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));

describe("the dashboard against Grafana's schema", () => {
  it('is a Dashboard of @grafana/schema, every panel with its own options, and at its schemaVersion', { timeout: 60_000 }, () => {
    expect(schemaErrors(shipped())).toEqual([]);
    expect(shipped().schemaVersion).toBe(defaultDashboard.schemaVersion);
  });

  const broken: Array<[string, (dashboard: ReturnType<typeof shipped>) => void, RegExp]> = [
    ['a panel type Grafana has not', (d) => void (d.panels[1]!.type = 'timeserie'), /"timeserie"/],
    ['a misspelled field', (d) => void (d.panels[1]!.descripton = d.panels[1]!.description), /descripton/],
    ['a panel without its data source', (d) => void delete d.panels[1]!.datasource, /datasource/],
    ['a misspelled option', (d) => void ((d.panels[1]!.options as Record<string, unknown>).colourMode = 'value'), /colourMode/],
  ];
  it.each(broken)('refuses a scratch copy with %s', { timeout: 60_000 }, (_, spoil, named) => {
    const copy = shipped();
    spoil(copy);
    const errors = schemaErrors(copy);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(named);
  });
});
