// Finds the run leaves of a staging root as DESIGN §2 lays them out, without
// following links and ignoring hidden names at every level.
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import { CleanupError } from '../domain/errors.ts';
import { isHiddenName, resolveRunPath, runLayoutOf, type RunLocation } from '../domain/runPath.ts';

export async function listRunLeaves(stagingRoot: string): Promise<RunLocation[]> {
  let equipment: string[];
  try {
    equipment = await subdirectories(stagingRoot);
  } catch (error) {
    throw new CleanupError(
      'staging_root_unavailable',
      `The staging root ${stagingRoot} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  const projects = await Promise.all(
    equipment.map(async (eq) => (await subdirectoriesOrNone(`${stagingRoot}/${eq}`)).map((p) => [eq, p])),
  );
  const leaves = await Promise.all(
    projects.flat().map(async ([eq, project]) => {
      const base = `${stagingRoot}/${eq}/${project}`;
      const children = await subdirectoriesOrNone(base);
      const nested = await Promise.all(
        children
          .filter((child) => child === 'Runs' || child === 'TestRuns')
          .map(async (container) =>
            (await subdirectoriesOrNone(`${base}/${container}`)).map((leaf) => [eq, project, container, leaf]),
          ),
      );
      return [...children.map((leaf) => [eq, project, leaf]), ...nested.flat()];
    }),
  );
  return leaves
    .flat()
    .filter((segments) => runLayoutOf(segments as string[]) !== null)
    .map((segments) => resolveRunPath(segments.join('/'), stagingRoot));
}

async function subdirectories(directory: string): Promise<string[]> {
  const entries: Dirent[] = await fs.readdir(directory, { withFileTypes: true });
  // A link to a directory is not a directory here: links are never followed.
  return entries.filter((entry) => entry.isDirectory() && !isHiddenName(entry.name)).map((e) => e.name);
}

// A folder that vanished or cannot be read mid-scan simply has no runs.
async function subdirectoriesOrNone(directory: string): Promise<string[]> {
  return subdirectories(directory).catch(() => []);
}
