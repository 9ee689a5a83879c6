// The child-process side of bench/core.ts: `node bin/run-ts.mjs bench/lib/child.ts TASK
// JSON` runs one measurement of tasks.ts and sends its result to the parent.
import { changes, duplicates, firstSync } from './tasks';

const tasks = { firstSync, changes, duplicates } as const;
type TaskName = keyof typeof tasks;

const [name, json] = process.argv.slice(2);
const task = tasks[name as TaskName] as ((args: never) => Promise<unknown>) | undefined;
if (!task) {
  console.error(`unknown benchmark task ${name}`);
  process.exit(2);
}
try {
  const result = await task(JSON.parse(json ?? '{}') as never);
  if (process.send) process.send({ ok: true, result }, () => process.disconnect());
  else console.log(JSON.stringify(result));
} catch (e) {
  const err = e as Error;
  if (process.send) process.send({ ok: false, error: err.stack ?? String(err) }, () => process.disconnect());
  else console.error(err);
  process.exitCode = 1;
}
