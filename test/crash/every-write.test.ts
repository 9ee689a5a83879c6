// Crash safety beyond the named crash points (sync-method.md, "Persistence rules": a crash at any
// moment loses nothing acknowledged): the hub is stopped
// dead before each DSS write of a run in turn — every write transaction the store announces
// through its writeHook (run-start, commit, each acknowledgement, each device's finish) and
// the two it does not (the run summary, the device log) — then restarted from its folder
// with the devices as they are. One fault-free run later, the four invariants hold and the
// truth is the one a run that never failed gives.
import { afterAll, describe, expect, it } from 'vitest';
import type { Contact } from '../../main/core/contact';
import { HubCrash } from '../../main/hub/run';
import { multisetDiff, tmpRoot, uniqueDir, World, type DeviceSpec } from './world';

const ROOT = tmpRoot();
const CRITICAL = ['a', 'b', 'c', 'd'];
const tel = (n: number) => [{ type: 'cell', value: `020 7946 ${String(n).padStart(4, '0')}` }];
const SPECS: DeviceSpec[] = [
  {
    id: 'a',
    changeTracking: 'log',
    priority: 1,
    initial: [
      { fn: 'Mitsuko Uchida', tel: tel(1), email: [{ type: 'home', value: 'mu@example.org' }] },
      { fn: 'Alfred Brendel', tel: tel(2) },
    ],
  },
  {
    id: 'b',
    changeTracking: 'snapshot',
    priority: 2,
    initial: [
      { fn: 'Martha Argerich', tel: tel(3), note: 'Buenos Aires' },
      { fn: 'András Schiff', tel: tel(4) },
      { fn: 'Krystian Zimerman', tel: tel(6) }, // longer than the SIM holds
    ],
  },
  { id: 'c', changeTracking: 'log', priority: 3, initial: [{ fn: 'Maria João Pires', tel: tel(5), email: [{ type: 'home', value: 'mjp@example.org' }] }] },
  // A SIM: a name of at most 14 characters and phone numbers only.
  { id: 'd', changeTracking: 'snapshot', priority: 4, capacity: { fields: ['fn', 'tel'], maxNameLength: 14 }, initial: [{ fn: 'Lang Lang', tel: tel(12) }] },
];

/** The story up to its critical run, then the critical run with `onWrite` watching (and
 *  possibly killing) every DSS write. Returns the world and whether the hub crashed. */
async function playStory(onWrite: (what: string, world: World) => void, keepMaps: boolean): Promise<{ world: World; crashed: boolean }> {
  const world = new World(uniqueDir(ROOT, 'concord-crash-every-'), SPECS, 0, { keepMaps });
  try {
    const ok = (r: Awaited<ReturnType<World['sync']>>) => expect(r === 'crashed' ? r : r.outcome).not.toBe('crashed');
    ok(await world.sync(CRITICAL)); // everyone gets everything

    world.update('a', 'Mitsuko Uchida', 'tel', '020 7946 1001');
    world.add('c', { fn: 'Li Yundi', tel: tel(7) });
    world.add('hub', { fn: 'Ingrid Müller', tel: tel(8), email: [{ type: 'home', value: 'im@example.org' }] });
    world.delete('b', 'András Schiff');
    world.update('d', 'Maria João Pires', 'tel', '020 7946 1005');
    // c and d offline: their action tables fill up; a's link drops after one operation,
    // which it applied but whose acknowledgement was lost (a late ack next time).
    world.devices.get('a')!.faults = { cutAfterApplies: 1, ackLost: true };
    ok(await world.sync(['a', 'b']));

    world.update('c', 'Mitsuko Uchida', 'email', 'mitsuko@example.org'); // another element than a's
    world.update('a', 'Krystian Zimerman', 'tel', '020 7946 2006'); // same element, same run:
    world.update('b', 'Krystian Zimerman', 'tel', '020 7946 3006'); // a (priority 1) wins
    world.update('hub', 'Maria João Pires', 'note', 'Lisbon');
    world.delete('hub', 'Alfred Brendel'); // the editor's delete against c's update
    world.update('c', 'Alfred Brendel', 'email', 'ab@example.org');
    world.add('c', { fn: 'Ingrid Müller', tel: tel(8) }); // the hub's pending ADD, entered by hand (R6)
    world.add('d', { fn: 'Evgeny Kissin', tel: tel(9) });
    world.add('b', { fn: 'Yuja Wang', tel: tel(10), email: [{ type: 'home', value: 'yw@example.org' }] });
    world.update('b', 'Martha Argerich', 'note', 'Geneva');
    world.add('hub', { fn: 'Daniil Trifonov', tel: tel(11) });

    const r = await world.sync(CRITICAL, (w) => onWrite(w, world));
    return { world, crashed: r === 'crashed' };
  } catch (e) {
    world.dispose();
    throw e;
  }
}

/** The fault-free run every device completes, then the four invariants. */
async function settleAndCheck(world: World): Promise<Contact[]> {
  const r = await world.sync(world.all());
  if (r === 'crashed' || r.outcome !== 'ok') throw new Error(`the fault-free run after the restart did not finish ok: ${r === 'crashed' ? r : `${r.outcome} ${r.error ?? ''}`}`);
  world.checkConverged();
  world.checkNothingLost();
  world.checkNoDuplicates();
  world.checkDssConsistent();
  await world.checkIdempotent();
  return world.truth();
}

interface Outcome {
  k: number;
  write: string;
  failure: string | null;
}

/** Replays the story for k = 1..N, killing the hub before the k-th write of the critical
 *  run, and checks each end state. */
async function everyWrite(writes: string[], reference: Contact[], keepMaps: boolean): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let k = 1; k <= writes.length; k++) {
    const expected = writes[k - 1]!;
    let n = 0;
    let diedAt = '';
    let world: World | undefined;
    let failure: string | null = null;
    try {
      const played = await playStory((w, wd) => {
        n += 1;
        if (n === k) {
          diedAt = wd.describeWrite(w);
          throw new HubCrash(`test: before DSS write ${k} (${w})`);
        }
      }, keepMaps);
      world = played.world;
      if (!played.crashed) throw new Error('the hub did not crash: the run made fewer writes than the reference');
      if (diedAt !== expected) throw new Error(`the ${k}-th write was "${diedAt}", the reference's was "${expected}": the replay is not deterministic`);
      const truth = await settleAndCheck(world);
      const diff = multisetDiff(truth, reference);
      if (diff) throw new Error(`the final truth differs from the run without a crash: ${diff}`);
    } catch (e) {
      failure = (e as Error).message;
    } finally {
      world?.dispose();
    }
    out.push({ k, write: expected, failure });
  }
  return out;
}

const report = (o: Outcome[], n: number) => o.map((x) => `k=${x.k}/${n} (hub killed before the write "${x.write}"): ${x.failure}`).join('\n');

describe('a hub killed before any DSS write of a run', () => {
  const worlds: World[] = [];
  afterAll(() => {
    for (const w of worlds) w.dispose();
  });

  let reference: Contact[] = [];
  let writes: string[] = [];

  it('reference: the story without a crash keeps the invariants, and its critical run writes in every way', async () => {
    const seen: string[] = [];
    const { world, crashed } = await playStory((w, wd) => seen.push(wd.describeWrite(w)), true);
    worlds.push(world);
    expect(crashed).toBe(false);
    reference = await settleAndCheck(world);
    writes = seen;
    // The story exercises what it should: conflicts, a pending backlog, every write kind.
    expect(world.hub.conflicts().length).toBeGreaterThanOrEqual(2);
    expect(writes.filter((w) => w.startsWith('ack')).length).toBeGreaterThanOrEqual(15);
    for (const kind of ['run-start', 'commit', 'ack of ADD', 'ack of UPDATE', 'ack of DELETE', 'finish', 'run-finish']) {
      expect(writes.some((w) => w.startsWith(kind)), kind).toBe(true);
    }
    expect(reference.length).toBeGreaterThanOrEqual(8);
    console.log(`critical run: ${writes.length} DSS writes:\n  ${writes.join('\n  ')}`);
  });

  it('at every write k = 1..N (log devices re-sending unconfirmed Maps, as SyncML clients do): the restarted hub converges, loses nothing, makes no duplicates, settles, and ends with the reference truth', async () => {
    expect(writes.length).toBeGreaterThan(0);
    const outcomes = await everyWrite(writes, reference, true);
    expect(outcomes).toHaveLength(writes.length);
    const failed = outcomes.filter((o) => o.failure);
    expect(failed, report(failed, writes.length)).toEqual([]);
  });

  // Known issue (main/devices/simulated/device.ts, push): when the hub dies while taking an
  // acknowledgement, the plain simulated `log` device forgets it — a SyncML client would
  // re-send that Map at its next session — so an ADD it applied is added a second time.
  // This test pins the failures to exactly that case; it fails if any other write breaks,
  // and says so when the simulator is fixed.
  it('with the plain SimulatedDevice too (a log device re-sends an acknowledgement the dead hub never took)', async () => {
    const outcomes = await everyWrite(writes, reference, false);
    const failed = outcomes.filter((o) => o.failure);
    expect(failed, report(failed, writes.length)).toEqual([]);
  });
});
