// Entry of the hub's worker thread under plain Node: loads tsx's loader in this thread
// (loader hooks are per thread), then the TypeScript worker itself.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
