// Cut cables on the serial path (a link lost mid-run: retrieve and push resume). The hub (real SQLite in a temp folder)
// syncs the handset simulator through a socat pty pair and the real serialport driver. A
// byte counter on the phone's end of the link fires at a random offset of the retrieve (from
// the start of the run) or of the push (from the commit) and either kills socat (the host's
// port closes with `disconnected: true`) or stops it with SIGSTOP (nothing more is said:
// the driver's own command timeout must notice). The cable is then replugged (a new pair)
// and the phone synced until a run completes; the oracle is checked after every cut.
import path from 'node:path';
import { contactOf } from '../../../main/core/contact';
import { openSerialLink, openTtyLink, type SerialLink } from '../../../native/serial';
import { AtPhonebookSyncPoint } from '../../../main/devices/at-phonebook/sync-point';
import { SimHandset } from '../../../main/devices/at-phonebook/simulator';
import { Hub } from '../../../main/hub/hub';
import type { RunSummary } from '../../../main/hub/types';
import { ptyPair, type PtyPair } from '../../main/devices/at-phonebook/helpers';
import { diffText, duplicates, phoneSigs, relTmp, rng, truthOnPhone } from './common';
import fs from 'node:fs';

export interface CableStats {
  cuts: number;
  stalls: number;
  byPhase: Record<string, number>;
  /** Per cut: runs after the cut until one completed. */
  runsToConverge: number[];
  /** Milliseconds from a stall to the run giving up (the driver's timeout). */
  stallDetectMs: number[];
  /** Cuts whose offset fell after the run had finished (nothing to cut). */
  missed: number;
  bytes: number;
  problems: string[];
  seed: number;
  ms: number;
}

const SPID = 'imei:356938035643809';
const TIMEOUT_MS = 700;

export async function cableCampaign(o: { cuts: number; seed: number; stallShare?: number; log?: (s: string) => void }): Promise<CableStats> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const random = rng(o.seed);
  const stats: CableStats = { cuts: 0, stalls: 0, byPhase: {}, runsToConverge: [], stallDetectMs: [], missed: 0, bytes: 0, problems: [], seed: o.seed, ms: 0 };
  const dir = relTmp('cable');
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  const sim = new SimHandset({ baud: 115200, charsets: ['GSM', 'UCS2'], storages: [{ name: 'SM', size: 120, nameLength: 14, numberLength: 40 }, { name: 'ME', size: 300, nameLength: 14, numberLength: 40 }] });
  const expected = new Map<string, number>();
  const bump = (fn: string, d: number) => {
    const n = (expected.get(fn) ?? 0) + d;
    if (n === 0) expected.delete(fn);
    else expected.set(fn, n);
  };
  let serial = 0;
  const phoneAdd = (name: string) => {
    const me = sim.entries('ME');
    let idx = 1;
    while (me.has(idx)) idx++;
    me.set(idx, { name, number: `+4477008${String(++serial).padStart(5, '0')}`, type: 145 });
    bump(name, 1);
  };
  for (let i = 0; i < 40; i++) phoneAdd(`Ph ${i}`);
  const hubAdd = (name: string) => {
    hub.editor.add(contactOf({ fn: name, tel: [{ type: 'cell', value: `+4477007${String(++serial).padStart(5, '0')}` }] }));
    bump(name, 1);
  };
  for (let i = 0; i < 30; i++) hubAdd(`Hb ${i}`);

  // --- the cable ---------------------------------------------------------------------
  let pair: PtyPair | null = null;
  let phoneLink: SerialLink | null = null;
  let counted = 0;
  let trip: { at: number; fire: () => void } | null = null;
  const count = (n: number) => {
    counted += n;
    stats.bytes += n;
    if (trip && counted >= trip.at) {
      const t = trip;
      trip = null;
      t.fire();
    }
  };
  let linkNo = 0;
  const plug = async (): Promise<SerialLink> => {
    pair = await ptyPair(dir, `c${linkNo++}`);
    const link = openTtyLink(pair.phoneEnd);
    // Count what crosses the phone's end both ways (the listener comes before the sim's).
    link.on('data', (c) => count(c.length));
    const write = link.write.bind(link);
    (link as { write: SerialLink['write'] }).write = (d) => {
      count(typeof d === 'string' ? Buffer.byteLength(d) : d.length);
      return write(d);
    };
    phoneLink = link;
    sim.attach(link);
    return openSerialLink(pair.hostEnd, 115200);
  };
  const unplug = async () => {
    if (pair) await pair.kill();
    pair = null;
    if (phoneLink?.isOpen) await phoneLink.close().catch(() => undefined);
    await sim.whenDetached();
  };

  // --- one run ------------------------------------------------------------------------
  const est = { retrieve: 4000, push: 1500 };
  type Cut = { phase: 'retrieve' | 'push'; kind: 'kill' | 'stall' };
  const run = async (cut: Cut | null): Promise<{ summary: RunSummary | null; fired: boolean; stallAt: number }> => {
    const hostLink = await plug();
    let sp: AtPhonebookSyncPoint | null = null;
    let fired = false;
    let stallAt = 0;
    const fire = () => {
      fired = true;
      if (!pair) return;
      if (cut!.kind === 'kill') {
        void pair.kill();
      } else {
        stallAt = Date.now();
        pair.stop();
      }
    };
    let off: (() => void) | null = null;
    try {
      sp = await AtPhonebookSyncPoint.open(hostLink, { spid: SPID, knownImsi: (hub.device(SPID)?.config.imsi as string | undefined) ?? null, timeoutMs: TIMEOUT_MS });
      if (!hub.device(SPID)) hub.pairDevice({ spid: SPID, name: 'Handset', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp.capacity, config: sp.config() });
      hub.attach(sp);
      const base = counted;
      let committedAt = -1;
      if (cut?.phase === 'retrieve') trip = { at: base + Math.floor(random() * est.retrieve), fire };
      off = hub.on('progress', (p) => {
        if (p.type === 'committed') {
          committedAt = counted;
          if (cut?.phase === 'push') trip = { at: counted + Math.floor(random() * est.push), fire };
        }
      });
      const summary = await hub.sync([SPID]);
      trip = null;
      if (!fired && committedAt >= 0) {
        // Runs with the same amount of work as the last one: its own sizes.
        est.retrieve = Math.max(200, committedAt - base);
        est.push = Math.max(100, counted - committedAt);
      }
      if (!summary.counts[SPID]?.error) hub.updateDeviceConfig(SPID, sp.config());
      return { summary, fired, stallAt };
    } catch (e) {
      // The cut fell in the wake-up/identification before the run: no run at all.
      log(`open failed: ${(e as Error).message}`);
      return { summary: null, fired, stallAt };
    } finally {
      trip = null;
      off?.();
      hub.detach(SPID);
      await sp?.close().catch(() => undefined);
      if (hostLink.isOpen) await hostLink.close().catch(() => undefined);
      await unplug();
    }
  };

  const check = (label: string) => {
    const truth = hub.contacts().map((r) => r.contact);
    const fns = truth.map((c) => c.fn).sort();
    const want = [...expected.entries()].flatMap(([fn, n]) => Array<string>(n).fill(fn)).sort();
    const cap = hub.device(SPID)!.capacity!;
    const phone = phoneSigs(sim);
    const problems = [
      diffText(`${label}: truth vs every edit (lost or doubled)`, fns, want),
      duplicates(phone).length ? `${label}: duplicates on the phone: ${duplicates(phone).slice(0, 4).join(' | ')}` : null,
      diffText(`${label}: phone vs truth`, phone, truthOnPhone(truth, cap)),
    ].filter((p): p is string => p !== null);
    stats.problems.push(...problems);
    return problems.length === 0;
  };

  try {
    const first = await run(null);
    if (first.summary?.counts[SPID]?.error) stats.problems.push(`first run failed: ${first.summary.counts[SPID]?.error}`);
    check('initial');
    for (let k = 1; stats.cuts < o.cuts && k <= o.cuts * 3 && stats.problems.length === 0; k++) {
      // Work both ways: the phone changed (the retrieve has news), the hub changed (the
      // push has work).
      phoneAdd(`Ph k${k}`);
      const own = [...sim.entries('ME')].filter(([, e]) => /^Ph [\w ]+$/.test(e.name));
      const [ui, ue] = own[Math.floor(random() * own.length)]!;
      const nn = `Ph u${k}`;
      sim.entries('ME').set(ui, { ...ue, name: nn });
      bump(ue.name, -1);
      bump(nn, 1);
      // As many removed as added, so that the phonebook (SM 120 + ME 300) never fills up
      // however many cuts a campaign makes (a full phone rightly keeps actions pending).
      const gone = own.filter(([i]) => i !== ui);
      const [di, de] = gone[Math.floor(random() * gone.length)]!;
      sim.entries('ME').delete(di);
      bump(de.name, -1);
      for (let i = 0; i < 3; i++) hubAdd(`Hb k${k} ${i}`);
      const rows = hub.contacts().filter((r) => r.contact.fn.startsWith('Hb '));
      for (let i = 0; i < 3; i++) {
        const [victim] = rows.splice(Math.floor(random() * rows.length), 1);
        hub.editor.delete(victim!.guid);
        bump(victim!.contact.fn, -1);
      }

      const cut: Cut = { phase: random() < 0.5 ? 'retrieve' : 'push', kind: random() < (o.stallShare ?? 0.25) ? 'stall' : 'kill' };
      const r = await run(cut);
      if (!r.fired) {
        stats.missed++;
      } else {
        stats.cuts++;
        if (cut.kind === 'stall') {
          stats.stalls++;
          stats.stallDetectMs.push(Date.now() - r.stallAt);
        }
        stats.byPhase[`${cut.kind}:${cut.phase}`] = (stats.byPhase[`${cut.kind}:${cut.phase}`] ?? 0) + 1;
      }
      let runs = 0;
      let done = !!r.summary && !r.summary.counts[SPID]?.error && r.summary.outcome !== 'failed';
      if (r.fired && done) log(`cut ${k} (${cut.kind} ${cut.phase}) fired but the run completed`);
      while (!done && runs < 5) {
        runs++;
        const again = await run(null);
        done = !!again.summary && !again.summary.counts[SPID]?.error;
      }
      if (!done) stats.problems.push(`cut ${k}: the phone did not complete in 5 runs`);
      if (r.fired) stats.runsToConverge.push(runs);
      check(`after cut ${k} (${cut.kind} during ${cut.phase})`);
      if (k % 10 === 0) log(`${k} cuts: ${stats.cuts} fired, ${stats.missed} missed`);
    }
    // Idempotent: one more run with no edits changes nothing and sends nothing.
    const idle = await run(null);
    const c = idle.summary?.counts[SPID];
    if (!c || c.error || c.in.add + c.in.update + c.in.delete + c.out.add + c.out.update + c.out.delete > 0) stats.problems.push(`the idle run was not quiet: ${JSON.stringify(c)}`);
  } finally {
    await unplug();
    await hub.close();
    stats.ms = Date.now() - started;
  }
  if (stats.problems.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else stats.problems.push(`(data kept in ${dir})`);
  return stats;
}
