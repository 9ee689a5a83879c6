// One test per reconciliation rule (sync-method.md, "Reconciliation: the new truth",
// "Conflicts" and the decisions on them), next to the decision-table tests of recovery and
// of the merge table. Each plans one run with the steps the hub calls — recover, reconcile,
// effectiveActions — over a real DSS (SQLite in a temporary folder) that earlier real runs
// filled, and checks the new truth, the conflict log and the action tables.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { effectiveActions } from '../../../main/core/actions';
import { contactOf, toElements, type Contact } from '../../../main/core/contact';
import { reconcile } from '../../../main/core/reconcile';
import { recover } from '../../../main/core/recover';
import type { EditorEdit, PointReport } from '../../../main/core/run-state';
import type { Guid, ReportedRecord, Spid } from '../../../main/core/types';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { commit } from '../../../main/dss/commit';
import { Hub } from '../../../main/hub/hub';
import { pointInfo } from '../../../main/hub/run';

const dirs: string[] = [];
const hubs: Hub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const NUMBER = '+442079460000';
const uchida = (over: Partial<Contact> = {}): Contact => contactOf({ fn: 'Mitsuko Uchida', tel: [{ type: 'cell', value: NUMBER }], ...over });
/** The element key of the first cell number. */
const TEL_KEY = [...toElements(uchida()).keys()].find((k) => k.startsWith('tel'))!;
const tel = (value: string) => [{ type: 'cell', value }];
const email = (value: string) => [{ type: 'home', value }];

/** A hub with phone (priority 1), laptop (2) and desktop (3), each holding `initial`
 *  after a real run. */
async function world(initial: Contact[] = [uchida()]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-reconcile-'));
  dirs.push(dir);
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  hubs.push(hub);
  const spids = ['phone', 'laptop', 'desktop'];
  for (const [i, spid] of spids.entries()) {
    hub.pairDevice({ spid, name: spid, kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: i + 1 });
    hub.attach(new SimulatedDevice({ spid, initial: spid === 'laptop' ? initial : [] }));
  }
  expect((await hub.sync()).outcome).toBe('ok');
  const guids = hub.contacts().map((r) => r.guid);
  let runId = 1000;
  let n = 0;
  const luid = (spid: Spid, guid: Guid) => hub.dss.mapOf(spid, guid)!.luid;
  /** Plans one run in which the devices of `reports` are online. */
  const plan = (reports: Record<Spid, ReportedRecord[]>, editorEdits: EditorEdit[] = []) => {
    const online = new Map<Spid, PointReport>(Object.entries(reports).map(([spid, records]) => [spid, { kind: 'log', lostSyncState: false, records, lateAcks: [] }]));
    const input = { runId: ++runId, region: 'GB', points: hub.dss.devices().map(pointInfo), reports: online, editorEdits };
    const run = recover(hub.dss, input);
    reconcile(run, () => `new-${++n}`);
    const p = effectiveActions(run);
    return { ...p, ov: p.overlay, truth: (g: Guid) => p.overlay.truth(g)?.contact, action: (spid: Spid, g: Guid) => p.overlay.pending(spid, g)?.action };
  };
  return { hub, guid: guids[0]!, guids, luid, plan };
}

describe('reconcile', () => {
  it('exactly one changed: the truth takes the change and every other sync point, online or not, gets an UPDATE', async () => {
    const w = await world();
    const r = w.plan({ laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0001') }) }], phone: [] });
    expect(r.truth(w.guid)?.tel.map((t) => t.value)).toEqual(['+442079460001']);
    expect(r.ov.truth(w.guid)?.prov[TEL_KEY]?.spid).toBe('laptop');
    expect(r.action('phone', w.guid)).toBe('UPDATE');
    expect(r.action('desktop', w.guid)).toBe('UPDATE');
    expect(r.action('laptop', w.guid)).toBeUndefined();
    expect(r.conflicts).toEqual([]);
  });

  it('several changed different elements: both survive, no conflict', async () => {
    const w = await world();
    const r = w.plan({
      phone: [{ luid: w.luid('phone', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0001') }) }],
      laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ email: email('mu@laptop.example') }) }],
    });
    expect(r.truth(w.guid)).toMatchObject({ tel: [{ value: '+442079460001' }], email: [{ value: 'mu@laptop.example' }] });
    expect(r.conflicts).toEqual([]);
    // Each gets the other's change; the desktop gets both.
    expect([r.action('phone', w.guid), r.action('laptop', w.guid), r.action('desktop', w.guid)]).toEqual(['UPDATE', 'UPDATE', 'UPDATE']);
  });

  it('several changed the same element: priority decides, one conflict lists the element, the loser gets the winner', async () => {
    const w = await world();
    const r = w.plan({
      laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0002') }) }],
      phone: [{ luid: w.luid('phone', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0001') }) }],
    });
    expect(r.truth(w.guid)?.tel.map((t) => t.value)).toEqual(['+442079460001']);
    expect(r.conflicts).toHaveLength(1);
    const c = r.conflicts[0]!;
    expect(c.kind).toBe('elements');
    expect(c.elements).toEqual([{ key: TEL_KEY, label: expect.any(String), winner: { spid: 'phone', value: '+442079460001' }, losers: [{ spid: 'laptop', value: '+442079460002' }] }]);
    expect(c.versions.map((v) => [v.spid, v.won])).toEqual([['laptop', false], ['phone', true]]);
    expect(r.action('laptop', w.guid)).toBe('UPDATE');
    expect(r.action('phone', w.guid)).toBeUndefined();
  });

  it('equal values on several devices are no conflict', async () => {
    const w = await world();
    const same = uchida({ tel: tel('020 7946 0001') });
    const r = w.plan({
      phone: [{ luid: w.luid('phone', w.guid), state: 'UPDATED', data: same }],
      laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ tel: tel('+44 20 7946 0001') }) }],
    });
    expect(r.truth(w.guid)?.tel.map((t) => t.value)).toEqual(['+442079460001']);
    expect(r.conflicts).toEqual([]);
    expect(r.action('phone', w.guid)).toBeUndefined();
    expect(r.action('laptop', w.guid)).toBeUndefined();
    expect(r.action('desktop', w.guid)).toBe('UPDATE');
  });

  it('delete against update is decided per record: a higher-priority deleter wins, one conflict', async () => {
    const w = await world();
    const r = w.plan({
      phone: [{ luid: w.luid('phone', w.guid), state: 'DELETED' }],
      laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ note: 'pianist' }) }],
    });
    expect(r.ov.truth(w.guid)).toBeUndefined();
    expect(r.conflicts.map((c) => c.kind)).toEqual(['delete-update']);
    expect(r.action('laptop', w.guid)).toBe('DELETE');
    expect(r.action('desktop', w.guid)).toBe('DELETE');
    expect(r.action('phone', w.guid)).toBeUndefined();
  });

  it('delete against update: a higher-priority updater wins, the deleter gets the record back by an ADD', async () => {
    const w = await world();
    const r = w.plan({
      laptop: [{ luid: w.luid('laptop', w.guid), state: 'DELETED' }],
      phone: [{ luid: w.luid('phone', w.guid), state: 'UPDATED', data: uchida({ note: 'pianist' }) }],
    });
    expect(r.truth(w.guid)?.note).toBe('pianist');
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]!.versions).toEqual(expect.arrayContaining([expect.objectContaining({ spid: 'laptop', contact: null, won: false })]));
    expect(r.action('laptop', w.guid)).toBe('ADD');
    expect(r.action('desktop', w.guid)).toBe('UPDATE');
  });

  it('a cross-run change competes with the earlier writer at its priority (provenance), in both directions', async () => {
    // Run A: the phone (1) changes the number while the laptop (2) is offline.
    const w = await world();
    const runA = w.plan({ phone: [{ luid: w.luid('phone', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0001') }) }] });
    expect(runA.action('laptop', w.guid)).toBe('UPDATE');
    commitPlanned(w.hub, runA);
    // Run B: the laptop, which never saw it, changes the same number: the phone's earlier
    // edit wins, one conflict, and the laptop still gets an UPDATE.
    const runB = w.plan({ laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0002') }) }] });
    expect(runB.truth(w.guid)?.tel.map((t) => t.value)).toEqual(['+442079460001']);
    expect(runB.conflicts).toHaveLength(1);
    expect(runB.conflicts[0]!.elements[0]).toMatchObject({ winner: { spid: 'phone' }, losers: [{ spid: 'laptop', value: '+442079460002' }] });
    expect(runB.action('laptop', w.guid)).toBe('UPDATE');

    // The other way round: the laptop's earlier edit loses to the phone's later one.
    const v = await world();
    const runC = v.plan({ laptop: [{ luid: v.luid('laptop', v.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0002') }) }] });
    commitPlanned(v.hub, runC);
    const runD = v.plan({ phone: [{ luid: v.luid('phone', v.guid), state: 'UPDATED', data: uchida({ tel: tel('020 7946 0001') }) }] });
    expect(runD.truth(v.guid)?.tel.map((t) => t.value)).toEqual(['+442079460001']);
    expect(runD.conflicts).toHaveLength(1);
    expect(runD.conflicts[0]!.elements[0]).toMatchObject({ winner: { spid: 'phone' }, losers: [{ spid: 'laptop' }] });
    expect(runD.action('laptop', v.guid)).toBe('UPDATE');
    expect(runD.action('phone', v.guid)).toBeUndefined();
  });

  it('the same person ADDED on two devices in one run is one record: the union, priority deciding a differing element', async () => {
    const w = await world([]);
    const r = w.plan({
      laptop: [{ luid: 'l-new', state: 'ADDED', data: contactOf({ fn: 'Alfred Brendel', tel: tel('+44 20 7946 0101'), email: email('ab@laptop.example'), note: 'pianist' }) }],
      phone: [{ luid: 'p-new', state: 'ADDED', data: contactOf({ fn: 'Alfred Brendel', tel: tel('020 7946 0101'), email: email('ab@phone.example') }) }],
    });
    const added = [...r.ov.truthPuts.values()];
    expect(added).toHaveLength(1);
    const guid = added[0]!.guid;
    expect(added[0]!.contact).toMatchObject({ fn: 'Alfred Brendel', tel: [{ value: '+442079460101' }], email: [{ value: 'ab@phone.example' }], note: 'pianist' });
    expect(r.ov.mapOf('laptop', guid)?.luid).toBe('l-new');
    expect(r.ov.mapOf('phone', guid)?.luid).toBe('p-new');
    expect(r.conflicts.map((c) => c.kind)).toEqual(['added-twice']);
    // Neither is sent an ADD of what it has; each gets the union; the desktop gets an ADD.
    expect(r.action('laptop', guid)).toBe('UPDATE');
    expect(r.action('phone', guid)).toBe('UPDATE');
    expect(r.action('desktop', guid)).toBe('ADD');
    expect(r.rows.filter((x) => x.row === 'R5')).toHaveLength(2);
  });

  it('a known LUID reported again as ADDED is the same record, compared with its base like an UPDATED one', async () => {
    const w = await world();
    const luid = w.luid('laptop', w.guid);
    // The laptop re-sends its change log: the record it already has, with a note added
    // and its number (it sends the whole record).
    const r = w.plan({ laptop: [{ luid, state: 'ADDED', data: uchida({ note: 'pianist' }) }] });
    expect(r.rows).toEqual([{ spid: 'laptop', luid, row: 'R3', guid: w.guid }]);
    expect(r.ov.truthPuts.size).toBe(1);
    expect(r.truth(w.guid)).toMatchObject({ fn: 'Mitsuko Uchida', tel: [{ value: NUMBER }], note: 'pianist' });
    expect(r.action('phone', w.guid)).toBe('UPDATE');
    expect(r.conflicts).toEqual([]);
  });

  it('no change: nothing in the truth, no action, no conflict', async () => {
    const w = await world();
    const r = w.plan({ phone: [], laptop: [], desktop: [] });
    expect(r.ov.truthPuts.size).toBe(0);
    expect(r.ov.truthDeletes.size).toBe(0);
    expect([...r.ov.actions.values()].filter(Boolean)).toEqual([]);
    expect(r.conflicts).toEqual([]);
    // A record reported with what the hub knew it held is no change either.
    const again = w.plan({ laptop: [{ luid: w.luid('laptop', w.guid), state: 'UPDATED', data: uchida() }] });
    expect(again.ov.truthPuts.size).toBe(0);
    expect([...again.ov.actions.values()].filter(Boolean)).toEqual([]);
  });
});

/** Writes a plan as the hub's step 6 does (for a story of two runs). */
function commitPlanned(hub: Hub, p: { ov: ReturnType<typeof effectiveActions>['overlay']; conflicts: ReturnType<typeof effectiveActions>['conflicts']; lostState: Spid[] }): void {
  commit(hub.dss, p.ov, { runId: p.ov.runId, now: 1, conflicts: p.conflicts, editorUpTo: null, lostState: p.lostState });
}
