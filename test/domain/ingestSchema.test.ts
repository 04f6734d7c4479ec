import { describe, expect, it } from 'vitest';
import { CleanupError } from '../../src/domain/errors.ts';
import { applyTransition, parseIngestText, serializeIngest } from '../../src/domain/ingestRecord.ts';
import { readExample } from '../helpers/stagingTree.ts';

function refusal(text: string): CleanupError {
  try {
    parseIngestText(text);
  } catch (error) {
    return error as CleanupError;
  }
  throw new Error('expected a refusal');
}

const verified = JSON.parse(readExample('ingest.sync_verified.json')) as Record<string, unknown>;
const withVersion = (version: unknown) => JSON.stringify({ ...verified, schema_version: version });

describe('reading ingest.json', () => {
  it('reads the spec example of a verified run', () => {
    const { view } = parseIngestText(readExample('ingest.sync_verified.json'));
    expect(view.current_state).toBe('sync_verified');
    expect(view.history.at(-1)?.nas_path).toBe('//nas01/lab/CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32');
  });

  it('reads a test run still queued for sync', () => {
    const { view } = parseIngestText(readExample('ingest.test_run.sync_queued.json'));
    expect(view).toMatchObject({ run_kind: 'test', current_state: 'sync_queued', transport: 'file_transfer' });
  });

  it('reads an older minor (1.0) with fields it does not know', () => {
    const { view } = parseIngestText(readExample('ingest.v1_0_with_unknown_fields.json'));
    expect(view.schema_version).toBe('1.0');
    expect(view.current_state).toBe('sync_verified');
  });

  it('reads a newer minor (1.7) and ignores its unknown fields', () => {
    const { view } = parseIngestText(JSON.stringify({ ...verified, schema_version: '1.7', future: { x: 1 } }));
    expect(view.current_state).toBe('sync_verified');
  });

  it('reads a record without transport (older writers)', () => {
    const { transport: _, ...rest } = verified;
    expect(parseIngestText(JSON.stringify(rest)).view.transport).toBeUndefined();
  });

  it.each(['2.0', '0.9', '10.1'])('refuses schema_version %s as schema_major_mismatch with expected and found', (version) => {
    const error = refusal(withVersion(version));
    expect(error).toBeInstanceOf(CleanupError);
    expect(error.code).toBe('schema_major_mismatch');
    expect(error.details).toEqual({ expected: '1.x', found: version });
  });

  it.each([
    ['a missing schema_version', withVersion(undefined), 'schema_version'],
    ['a numeric schema_version', withVersion(1.1), 'schema_version'],
    ['schema_version "1"', withVersion('1'), 'schema_version'],
    ['an unknown state', JSON.stringify({ ...verified, current_state: 'archived' }), 'current_state'],
    ['a missing run_path', JSON.stringify({ ...verified, run_path: undefined }), 'run_path'],
    ['a bad run_kind', JSON.stringify({ ...verified, run_kind: 'demo' }), 'run_kind'],
    ['history not a list', JSON.stringify({ ...verified, history: {} }), 'history'],
    ['a history entry without state', JSON.stringify({ ...verified, history: [{ at: 'x' }] }), 'history.0.state'],
    ['a numeric at', JSON.stringify({ ...verified, history: [{ state: 'staging', at: 5 }] }), 'history.0.at'],
  ])('refuses %s as ingest_invalid naming the field', (_, text, field) => {
    const error = refusal(text);
    expect(error.code).toBe('ingest_invalid');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it.each([
    ['text that is not JSON', '{"schema_version": '],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['an empty file', ''],
  ])('refuses %s as ingest_invalid', (_, text) => {
    expect(refusal(text).code).toBe('ingest_invalid');
  });
});

describe('writing ingest.json', () => {
  const at = '2026-04-20T12:00:00Z';

  it('keeps every unknown field, top level and in history, byte-for-value, and bumps to 1.1', () => {
    const original = JSON.parse(readExample('ingest.v1_0_with_unknown_fields.json'));
    const next = applyTransition(parseIngestText(JSON.stringify(original)), {
      state: 'cleared',
      at,
      host: 'cleanup-1',
    });
    const written = JSON.parse(serializeIngest(next));
    const { schema_version: _old, current_state: _state, history: oldHistory, ...oldRest } = original;
    const { schema_version, current_state, history, ...rest } = written;
    expect(schema_version).toBe('1.1');
    expect(current_state).toBe('cleared');
    expect(rest).toEqual(oldRest);
    expect(rest.operator_note).toBe('kept by every writer: a field this reader does not know');
    expect(history.slice(0, -1)).toEqual(oldHistory);
    expect(history[3].verifier).toBe('sha256-v2');
    expect(history.at(-1)).toEqual({ state: 'cleared', at, host: 'cleanup-1' });
  });

  it('does not change the record it was given', () => {
    const record = parseIngestText(readExample('ingest.sync_verified.json'));
    const before = JSON.stringify(record.raw);
    applyTransition(record, { state: 'cleared', at, host: 'h' });
    expect(JSON.stringify(record.raw)).toBe(before);
  });

  it('refuses a transition that is not one step forward', () => {
    const queued = parseIngestText(readExample('ingest.test_run.sync_queued.json'));
    expect(() => applyTransition(queued, { state: 'cleared', at, host: 'h' })).toThrow(CleanupError);
    const cleared = applyTransition(parseIngestText(readExample('ingest.sync_verified.json')), {
      state: 'cleared',
      at,
      host: 'h',
    });
    expect(() => applyTransition(cleared, { state: 'cleared', at, host: 'h' })).toThrow(/forward one step/);
  });
});
