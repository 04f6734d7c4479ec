// The tree worker under tsx (tests, development): its loader first, then the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const { default: runTreeTask } = await import('./treeWorker.ts');
export default runTreeTask;
