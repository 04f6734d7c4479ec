// A whole clear's deletion of the run folder at `runPath`, in this thread:
// the survey, every directory's entries as one share, then the shell, as the
// tree runner does across its workers. For tests of the deletion itself; it
// makes no pre-clear refusal (the service does, before any deletion).
import type { SyncRules } from '../../src/domain/syncCheck.ts';
import { combineOutcomes, type DeleteOptions, type DeleteOutcome } from '../../src/storage/engine/deleteTally.ts';
import { removeSurveyedShell } from '../../src/storage/engine/shellRemoval.ts';
import { deleteDirectoryContents, surveyedContents } from '../../src/storage/engine/treeDelete.ts';
import { measureTree } from '../../src/storage/engine/treeMeasure.ts';
import { openRunAt } from './runHandle.ts';

export function deleteTree(runPath: string, options: DeleteOptions & { rules?: SyncRules } = {}): DeleteOutcome {
  const opened = openRunAt(runPath);
  try {
    const survey = measureTree(opened.run, options.rules ? { rules: options.rules } : {});
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, options.rules), options);
    if (contents.stopped) return contents;
    const surveyed = survey.directories.map((directory) => directory.relativePath);
    const shell = removeSurveyedShell(opened.at, surveyed, contents.directoriesWithLeft, options.rules?.manifestPath);
    const outcome = combineOutcomes([contents, shell]);
    options.onProgress?.({ files: outcome.files, bytes: outcome.bytes });
    return outcome;
  } finally {
    opened.close();
  }
}
