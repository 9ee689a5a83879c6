// How much of a run's commit the history takes (sync-method.md, "History"): the first sync
// of BENCH_N (default 100,000) contacts and a run with 1% of them changed, with the time
// of History.record measured inside each commit. A share, not an absolute figure, so a
// loaded machine still gives a usable answer. `node bin/run-ts.mjs bench/history-share.ts`.
import { performance } from 'node:perf_hooks';
import { historyOf } from '../main/dss/history';
import { SimulatedDevice } from '../main/devices/simulated/device';
import { Hub } from '../main/hub/hub';
import { generateContacts } from './lib/gen';
import { removeDir, tempDataDir } from './lib/harness';

const n = Number(process.env.BENCH_N ?? 100_000);

async function timed(hub: Hub, spids: string[]): Promise<{ commit: number; history: number; total: number }> {
  const dss = hub.dss;
  const h = historyOf(dss.db);
  const record = h.record.bind(h);
  let history = 0;
  h.record = (...a: Parameters<typeof record>) => {
    const t = performance.now();
    record(...a);
    history += performance.now() - t;
  };
  // commit() calls the write hook first thing, and the run says when it has committed.
  let start = NaN;
  let commit = 0;
  dss.writeHook = (what) => {
    if (what === 'commit') start = performance.now();
  };
  const off = hub.on('progress', (p) => {
    if (p.type === 'committed') commit = performance.now() - start;
  });
  const t0 = performance.now();
  await hub.sync(spids);
  off();
  dss.writeHook = null;
  return { commit, history, total: performance.now() - t0 };
}

const dir = tempDataDir(`history-${n}`);
const hub = Hub.open({ dataDir: dir, region: 'GB' });
hub.pairDevice({ spid: 'd1', name: 'd1', kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: 1 });
hub.pairDevice({ spid: 'd2', name: 'd2', kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: 2 });
const d1 = new SimulatedDevice({ spid: 'd1', changeTracking: 'log', initial: generateContacts(n, 1) });
hub.attach(d1);
const fmt = (r: { commit: number; history: number; total: number }) =>
  `run ${r.total.toFixed(0)} ms, commit ${r.commit.toFixed(1)} ms, of which history ${r.history.toFixed(1)} ms (${((100 * r.history) / r.commit).toFixed(1)}% of the commit, ${((100 * r.history) / r.total).toFixed(1)}% of the run)`;
console.log(`first sync of ${n}: ${fmt(await timed(hub, ['d1']))}`);
for (let k = 0; k < 3; k++) {
  const recs = d1.records();
  for (let i = 0; i < n / 100; i++) {
    const r = recs[(i * 97 + k * 13) % recs.length]!;
    d1.userUpdate(r.luid, { note: `changed ${k} ${i}` });
  }
  console.log(`1% changed, run ${k + 1}: ${fmt(await timed(hub, ["d1"]))}`);
}
await hub.close();
removeDir(dir);
