// The service refuses to start on a Node older than package.json's engines,
// in one line naming the version found and the one needed; engines says
// what the code needs, and this Node (the oldest CI runs) satisfies it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../src/requireNode.ts';
import { killStartedServices, MAIN, startService } from './helpers/serviceProcess.ts';
import { makeTempDir } from './helpers/stagingTree.ts';

const repo = path.join(import.meta.dirname, '..');
const engines = (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

const temps: string[] = [];
afterEach(() => {
  killStartedServices();
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the Node version check', () => {
  it('compares versions part by part with engines written as >=MAJOR.MINOR', () => {
    expect(nodeVersionProblem('>=20.19', '20.19.0')).toBeNull();
    expect(nodeVersionProblem('>=20.19', '20.20.2')).toBeNull();
    expect(nodeVersionProblem('>=20.19', '24.1.0')).toBeNull();
    expect(nodeVersionProblem('>=20.19', 'v20.9.0')).toBe(
      'needs Node >=20.19 (package.json engines), and this is Node 20.9.0: install a newer Node, or point ExecStart= at it',
    );
    expect(nodeVersionProblem('>=20.19', '18.19.1')).toContain('this is Node 18.19.1');
    expect(nodeVersionProblem('^20 || >=22', '24.0.0')).toContain('is not of the form');
  });

  it("is satisfied by this Node, and engines is a range it can read", () => {
    expect(nodeVersionProblem(engines, process.versions.node)).toBeNull();
  });

  it('stops the real process before it starts, exit 2, in one line, when engines asks for more than this Node', async () => {
    // The built service beside a package.json asking for a Node that does not exist yet.
    const dir = makeTempDir();
    temps.push(dir);
    const copy = path.join(dir, 'service');
    fs.cpSync(path.dirname(MAIN), path.join(copy, 'dist'), { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...manifest, engines: { node: '>=99.1' } }));
    for (const linked of ['node_modules', 'build']) fs.symlinkSync(path.join(repo, linked), path.join(copy, linked));
    const service = startService({ STAGING_CLEANUP_STAGING_ROOT: path.join(dir, 'nowhere') }, dir, { main: path.join(copy, 'dist', 'main.js') });
    expect((await service.exited).code).toBe(2);
    expect(service.output().trim().split('\n')).toEqual([
      `staging-cleanup: needs Node >=99.1 (package.json engines), and this is Node ${process.versions.node}: install a newer Node, or point ExecStart= at it`,
    ]);
  });
});
