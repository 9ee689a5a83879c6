// `node bin/run-ts.mjs bench/fuzz.ts [N]` (or `run()` from bench/run.ts): the fuzzers of
// test/fuzz at 100,000 inputs per parser (CONCORD_FUZZ_N or the argument overrides), with
// inputs per second, the slowest single input, heap growth and the failures found (shrunk).
// The network targets (SyncML, the UI API, CardDAV) run against real hubs on loopback; HTTP
// bodies go over one keep-alive connection. Never exits non-zero for a finding: it reports them.
// CONCORD_FUZZ_SEED picks the inputs (default: a new random seed each run, printed, so a
// finding replays with CONCORD_FUZZ_SEED=<that seed>).
import { randomInt } from 'node:crypto';
import { describeFailures, runFuzz, summary, type FuzzStats, type FuzzTarget } from '../test/fuzz/lib/harness';
import { apiHttpTarget, keepAliveClient, startFuzzHub, syncmlHttpTarget, syncmlServerTarget, WsClient, wsTarget } from '../test/fuzz/lib/net';
import { atChannelTarget, atPhonebookTarget, atSessionTarget, syncmlWbxmlTarget, syncmlXmlTarget, vcardTarget } from '../test/fuzz/lib/parsers';
import { davHttpTarget, davMergeTarget, davRequestTarget, davXmlTarget, startDavFuzzHub } from '../test/fuzz/lib/carddav';

function count(): number {
  const arg = Number(process.argv[2]);
  if (Number.isSafeInteger(arg) && arg > 0) return arg;
  const env = Number(process.env.CONCORD_FUZZ_N);
  return Number.isSafeInteger(env) && env > 0 ? env : 100_000;
}

/** The seed of this run: CONCORD_FUZZ_SEED, or a random one. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.CONCORD_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const v = Number(given);
    if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`CONCORD_FUZZ_SEED must be an integer from 0 to ${0xffffffff}, not "${given}"`);
    return v;
  }
  return randomInt(1, 1_000_000);
}

export async function run(): Promise<void> {
  const n = count();
  const seed = fuzzSeed();
  const httpN = Math.max(300, Math.round(n / 20));
  console.log(`\n# Fuzzing: ${n} inputs per parser (${httpN} over real HTTP), seed ${seed} (CONCORD_FUZZ_SEED=${seed} replays)`);
  const all: FuzzStats[] = [];
  const go = async <I>(t: FuzzTarget<I>, k = n) => {
    const s = await runFuzz(t, { n: k, seed });
    console.log(summary(s));
    for (const d of describeFailures(s)) console.log(`    ${d}`);
    all.push(s);
  };
  await go(vcardTarget());
  await go(syncmlXmlTarget());
  await go(syncmlWbxmlTarget());
  await go(await atChannelTarget());
  await go(await atPhonebookTarget());
  await go(await atSessionTarget());
  await go(davXmlTarget());
  await go(davMergeTarget());

  const h = await startFuzzHub();
  const digest = h.hub.dss.stateDigest();
  try {
    await go(syncmlServerTarget(h));
    const c1 = keepAliveClient(Number(new URL(h.ep.url).port));
    await go(syncmlHttpTarget(h, c1), httpN);
    c1.close();
    const ws = await WsClient.open(`ws://127.0.0.1:${h.ui.port}/ws?token=${encodeURIComponent(h.ui.token)}`);
    await go(wsTarget(ws));
    ws.close();
    const accepted: Record<string, number> = {};
    const c2 = keepAliveClient(h.ui.port);
    await go(apiHttpTarget(h, c2, accepted), httpN);
    c2.close();
    const changed = h.hub.dss.stateDigest() !== digest;
    const acc = { ...ws.accepted, ...accepted };
    console.log(`DSS after the network fuzzing: ${changed ? 'CHANGED (a rejected input changed it)' : 'unchanged'}; fuzzed requests accepted that change something: ${Object.keys(acc).length ? JSON.stringify(acc) : 'none'}`);
  } finally {
    await h.close();
  }
  // The CardDAV server: whole requests in process as an account that may change its own
  // book, then over one keep-alive connection as one whose book must stay as it was.
  const d = await startDavFuzzHub();
  try {
    await go(davRequestTarget(d));
    const before = d.digest(['alice', 'bob']);
    const c3 = keepAliveClient(Number(new URL(d.ep.url).port));
    const accepted: Record<string, number> = {};
    await go(davHttpTarget(d, c3, accepted), httpN);
    c3.close();
    const changed = d.digest(['alice', 'bob']) !== before;
    console.log(`CardDAV books after the HTTP fuzzing: ${changed ? 'CHANGED (a refused request changed one)' : 'unchanged'}; accepted changes: ${Object.keys(accepted).length ? JSON.stringify(accepted) : 'none'}`);
  } finally {
    await d.close();
  }
  const failures = all.reduce((k, s) => k + s.failures.length, 0);
  const known = all.flatMap((s) => Object.entries(s.known).map(([k, v]) => `${s.name}: ${k} ×${v}`));
  console.log(`\n${all.reduce((k, s) => k + s.inputs, 0)} inputs, ${failures} distinct failures${known.length ? `; known bugs hit: ${known.join('; ')}` : ''}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
