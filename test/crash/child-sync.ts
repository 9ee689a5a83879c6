// The child process of the SIGKILL test (sigkill.test.ts):
//   node bin/run-ts.mjs test/crash/child-sync.ts DIR [--snap N] [--log M] [--delay MS] [--retrieve-delay MS] [--runs K]
// opens a Hub on DIR, pairs two simulated devices (a snapshot handset holding N contacts and
// a log device holding M), runs K syncs and prints one line per step of the run, so the test
// can SIGKILL it at a chosen moment. The devices live in this process; so that they outlive
// it as real devices would, every operation a device applies is appended to DIR/devices.jsonl
// before the hub hears its acknowledgement, and a restarted child rebuilds them from that
// journal (an applied operation whose acknowledgement the hub never took is re-sent by the
// log device as a late acknowledgement, as a SyncML client re-sends its Map).
// At the end it writes DIR/final.json: what each device holds, and whether an extra run
// sent or changed anything.
import fs from 'node:fs';
import path from 'node:path';
import type { Contact } from '../../main/core/contact';
import type { LateAck } from '../../main/core/types';
import { Hub } from '../../main/hub/hub';
import type { PushOp, PushResult, Retrieved } from '../../main/hub/sync-point';
import { MapKeepingDevice, REGION } from './world';

export const SNAP = 'snap';
export const LOG = 'log';
export const SIM_CAPACITY = { fields: ['fn', 'tel'] as ('fn' | 'tel')[], maxNameLength: 20 };

export function initialContacts(spid: string, n: number): Partial<Contact>[] {
  const area = spid === SNAP ? 7000 : 8000;
  return Array.from({ length: n }, (_, i) => ({
    fn: `${spid === SNAP ? 'Handset' : 'Laptop'} Person ${i + 1}`,
    tel: [{ type: 'cell', value: `020 ${area + Math.floor(i / 10000)} ${String(i % 10000).padStart(4, '0')}` }],
    ...(spid === LOG ? { email: [{ type: 'home', value: `person${i + 1}@example.org` }] } : {}),
  }));
}

type JournalLine = { d: string; op: PushOp; luid: string } | { d: string; ok: string } | { d: string; finish: boolean };

class JournaledDevice extends MapKeepingDevice {
  /** Where applied operations are appended; null while the journal is being replayed. */
  journal: string | null = null;
  /** Per operation, before it is applied (a slow link). */
  delayMs = 0;
  /** Before a retrieve (reading a phonebook over a slow link takes a while). */
  retrieveDelayMs = 0;

  private write(line: JournalLine): void {
    if (this.journal) fs.appendFileSync(this.journal, `${JSON.stringify(line)}\n`);
  }

  override async retrieve(): Promise<Retrieved> {
    if (this.retrieveDelayMs > 0) await new Promise((r) => setTimeout(r, this.retrieveDelayMs));
    return super.retrieve();
  }

  override async push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    const ack = (results: PushResult[]) => {
      // The device has applied these: that is on the device now, whatever the hub does.
      for (const r of results) if (r.ok) this.write({ d: this.spid, op: r.op, luid: r.luid });
      onAcks(results);
      for (const r of results) if (r.ok) this.write({ d: this.spid, ok: `${r.op.guid}/${r.op.action}` });
    };
    for (const op of ops) {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      await super.push([op], ack);
    }
  }

  override async finish(pushCompleted: boolean): Promise<void> {
    await super.finish(pushCompleted);
    this.write({ d: this.spid, finish: pushCompleted });
  }
}

/** The two devices as they are now: their initial contacts plus every operation their
 *  journal says they applied (replayed in order, so every LUID comes out the same). */
export async function devicesFrom(dir: string, sizes: { snap: number; log: number }, delayMs: number, retrieveDelayMs: number, journal: boolean): Promise<Map<string, JournaledDevice>> {
  const file = path.join(dir, 'devices.jsonl');
  const lines: JournalLine[] = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as JournalLine];
          } catch {
            return []; // a line cut by the kill: its write never finished, the op is not applied
          }
        })
    : [];
  const out = new Map<string, JournaledDevice>();
  for (const [spid, n] of [[SNAP, sizes.snap], [LOG, sizes.log]] as const) {
    const opts = { spid, changeTracking: spid === SNAP ? ('snapshot' as const) : ('log' as const), initial: initialContacts(spid, n), ...(spid === SNAP ? { capacity: SIM_CAPACITY } : {}) };
    // Replay with no delay and no journal, then switch both on.
    const dev = new JournaledDevice(opts);
    const unconfirmed = new Map<string, LateAck>();
    let finished = false;
    for (const l of lines) {
      if (l.d !== spid) continue;
      if ('op' in l) {
        let luid = '';
        await dev.push([l.op], (rs) => {
          const r = rs[0]!;
          if (r.ok) luid = r.luid;
        });
        if (luid !== l.luid) throw new Error(`journal replay of ${spid}: ${l.op.action} gave ${luid}, the journal says ${l.luid}`);
        const data = dev.records().find((x) => x.luid === luid)?.data;
        unconfirmed.set(`${l.op.guid}/${l.op.action}`, { guid: l.op.guid, action: l.op.action, luid, ...(data && l.op.action !== 'DELETE' ? { data } : {}) });
      } else if ('ok' in l) unconfirmed.delete(l.ok);
      else if ('finish' in l && l.finish) {
        finished = true;
        unconfirmed.clear();
      }
    }
    if (finished) await dev.finish(true);
    dev.received.length = 0;
    for (const a of unconfirmed.values()) dev.remember(a);
    dev.delayMs = delayMs;
    dev.retrieveDelayMs = retrieveDelayMs;
    if (journal) dev.journal = file;
    const live = dev;
    out.set(spid, live);
  }
  return out;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: child-sync.ts DIR [--snap N] [--log M] [--delay MS] [--retrieve-delay MS] [--runs K]');
  const sizes = { snap: arg('snap', 2000), log: arg('log', 1000) };
  const runs = arg('runs', 1);
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const hub = Hub.open({ dataDir: dir, region: REGION });
  const fresh = !hub.device(SNAP);
  const devices = await devicesFrom(dir, sizes, arg('delay', 1), arg('retrieve-delay', 0), true);
  if (fresh) {
    hub.pairDevice({ spid: SNAP, name: 'handset', kind: 'simulated', link: 'simulated', changeTracking: 'snapshot', capacity: SIM_CAPACITY, priority: 1 });
    hub.pairDevice({ spid: LOG, name: 'laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: 2 });
  }
  for (const d of devices.values()) hub.attach(d);
  hub.on('progress', (p) => {
    switch (p.type) {
      case 'run-started':
        return say(`run-started ${p.runId}`);
      case 'device-retrieving':
        return say(`retrieving ${p.spid} ${p.index}/${p.of}`);
      case 'device-retrieved':
        return say(`retrieved ${p.spid} ${p.records}`);
      case 'committed':
        return say(`committed ${p.actions}`);
      case 'device-pushing':
        return say(`pushing ${p.spid} ${p.done}/${p.total}`);
      case 'device-done':
        return say(`device-done ${p.spid} ${p.completed}`);
      case 'run-finished':
        return say(`run-finished ${p.summary.outcome}`);
      case 'run-failed':
        return say(`run-failed ${p.reason}`);
    }
  });
  say(`ready pid=${process.pid} fresh=${fresh}`);
  for (let i = 0; i < runs; i++) await hub.sync([SNAP, LOG]);
  // The extra run of invariant 4: nothing sent, nothing changed.
  const before = hub.dss.stateDigest();
  const sentBefore = [...devices.values()].map((d) => d.received.length);
  const extra = await hub.sync([SNAP, LOG]);
  const sent = [...devices.values()].reduce((n, d, i) => n + d.received.length - sentBefore[i]!, 0);
  const final = {
    extra: { outcome: extra.outcome, sent, dssChanged: hub.dss.stateDigest() !== before },
    devices: Object.fromEntries([...devices].map(([id, d]) => [id, d.records().map((r) => r.data)])),
  };
  fs.writeFileSync(path.join(dir, 'final.json'), JSON.stringify(final));
  await hub.close();
  say('done');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '')) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
