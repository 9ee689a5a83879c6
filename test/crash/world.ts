// A small world for the crash tests: a real Hub on a real SQLite file, simulated devices
// that outlive the hub (they are external), a record of every edit made, and the four
// invariants of sync-method.md ("What must always hold") as checks that throw with a reason.
// Deterministic: GUIDs and the clock are counters, so a replay makes the same writes.
import fs from 'node:fs';
import path from 'node:path';
import { contactOf, normalizeContact, type Contact } from '../../main/core/contact';
import { normalizeName } from '../../main/core/duplicates';
import { project, shortenName, type Capacity } from '../../main/core/projection';
import { EDITOR_SPID, type ChangeTracking, type LateAck, type Luid } from '../../main/core/types';
import { SimulatedDevice } from '../../main/devices/simulated/device';
import type { PushOp, PushResult, Retrieved } from '../../main/hub/sync-point';
import type { Dss } from '../../main/dss/store';
import { Hub } from '../../main/hub/hub';
import { HubCrash } from '../../main/hub/run';
import type { RunSummary } from '../../main/hub/types';
import { comparable, describeContact, firstDuplicate } from '../../main/scenario/checks';

export const REGION = 'GB';

export interface DeviceSpec {
  id: string;
  changeTracking: ChangeTracking;
  priority: number;
  capacity?: Capacity;
  initial: Partial<Contact>[];
}

/** One edit a user made, on a device or in the hub's editor. `name` is the contact's full
 *  name (how the checks find it in the truth). */
export interface Edit {
  where: string;
  name: string;
  field: 'add' | 'delete' | 'tel' | 'email' | 'note';
  value: string;
}

/** Every DSS write a run makes: the store's writeHook (run-start, commit, ack, finish, …)
 *  plus the two writes it does not announce (the run's summary and the device log), so a
 *  crash can be placed before each of them too. The extra two go through `writeHook` as
 *  well, so clearing the hook clears them. */
const instrumented = new WeakSet<Dss>();
export function instrument(dss: Dss, onWrite: (what: string) => void): void {
  dss.writeHook = onWrite;
  if (instrumented.has(dss)) return;
  instrumented.add(dss);
  const finishRun = dss.finishRun.bind(dss);
  dss.finishRun = (s) => {
    dss.writeHook?.('run-finish (no writeHook)');
    finishRun(s);
  };
  const logDevice = dss.logDevice.bind(dss);
  dss.logDevice = (...args) => {
    dss.writeHook?.('device-log (no writeHook)');
    logDevice(...args);
  };
}

/** A simulated device whose `log` behaviour keeps, as a SyncML client keeps its Map, every
 *  acknowledgement the hub did not take (its handler threw: the hub died before committing
 *  it), and re-sends them as late acknowledgements at the next session until a push
 *  completes. The plain SimulatedDevice forgets them (see the known-issue test). */
export class MapKeepingDevice extends SimulatedDevice {
  private unconfirmed: LateAck[] = [];

  /** An acknowledgement that the hub never took, known from before a restart of the
   *  process that simulates this device (test/crash/child-sync.ts). */
  remember(a: LateAck): void {
    if (this.changeTracking === 'log') this.unconfirmed.push(a);
  }

  override async retrieve(): Promise<Retrieved> {
    const r = await super.retrieve();
    if (r.changeTracking !== 'log') return r;
    const known = new Set(r.lateAcks.map((a) => `${a.guid}\u0000${a.action}`));
    return { ...r, lateAcks: [...r.lateAcks, ...this.unconfirmed.filter((a) => !known.has(`${a.guid}\u0000${a.action}`))] };
  }

  override async push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    return super.push(ops, (results) => {
      try {
        onAcks(results);
      } catch (e) {
        if (this.changeTracking === 'log') {
          for (const r of results) {
            if (!r.ok) continue;
            const data = this.records().find((x) => x.luid === r.luid)?.data;
            this.unconfirmed.push({ guid: r.op.guid, action: r.op.action, luid: r.luid, ...(data && r.op.action !== 'DELETE' ? { data } : {}) });
          }
        }
        throw e;
      }
    });
  }

  override async finish(pushCompleted: boolean): Promise<void> {
    if (pushCompleted) this.unconfirmed = [];
    return super.finish(pushCompleted);
  }
}

export function multisetDiff(actual: Contact[], expected: Contact[]): string | null {
  const count = (cs: Contact[]) => {
    const m = new Map<string, { c: Contact; n: number }>();
    for (const c of cs) {
      const k = comparable(c, REGION);
      m.set(k, { c, n: (m.get(k)?.n ?? 0) + 1 });
    }
    return m;
  };
  const a = count(actual);
  const e = count(expected);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, x] of e) if ((a.get(k)?.n ?? 0) < x.n) missing.push(`${describeContact(x.c)} ×${x.n - (a.get(k)?.n ?? 0)}`);
  for (const [k, x] of a) if ((e.get(k)?.n ?? 0) < x.n) extra.push(`${describeContact(x.c)} ×${x.n - (e.get(k)?.n ?? 0)}`);
  if (missing.length === 0 && extra.length === 0) return null;
  return `expected ${expected.length} contact(s), found ${actual.length}; missing ${missing.join(' ') || '-'}; unexpected ${extra.join(' ') || '-'}`;
}

export class World {
  hub: Hub;
  readonly devices = new Map<string, SimulatedDevice>();
  readonly edits: Edit[] = [];
  /** The device being pushed to, for naming an acknowledgement's write. */
  pushing: string | null = null;
  private clock = 1_700_000_000_000;
  private guids = 0;

  constructor(
    readonly dir: string,
    readonly specs: DeviceSpec[],
    hubPriority: number,
    opts: { keepMaps?: boolean } = {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.hub = this.openHub();
    for (const s of specs) {
      const Device = opts.keepMaps ? MapKeepingDevice : SimulatedDevice;
      const dev = new Device({ spid: s.id, changeTracking: s.changeTracking, ...(s.capacity ? { capacity: s.capacity } : {}) });
      for (const c of s.initial) dev.userAdd(c);
      this.devices.set(s.id, dev);
      this.hub.pairDevice({ spid: s.id, name: s.id, kind: 'simulated', link: 'simulated', changeTracking: s.changeTracking, capacity: s.capacity ?? {}, priority: s.priority });
    }
    const editor = this.hub.device(EDITOR_SPID)!;
    this.hub.dss.putDevice({ ...editor, priority: hubPriority });
  }

  private openHub(): Hub {
    const hub = Hub.open({
      dataDir: this.dir,
      region: REGION,
      now: () => (this.clock += 1000),
      newGuid: () => `guid-${String(++this.guids).padStart(5, '0')}`,
    });
    hub.on('progress', (p) => {
      if (p.type === 'device-pushing') this.pushing = p.spid;
    });
    return hub;
  }

  /** A write's name with what it is about: an acknowledgement names the device and the
   *  operation it applied. */
  describeWrite(what: string): string {
    if (what !== 'ack' || !this.pushing) return what;
    const op = this.devices.get(this.pushing)?.received.at(-1);
    return op ? `ack of ${op.action} ${op.data?.fn ?? op.guid} on ${this.pushing} (${this.devices.get(this.pushing)!.changeTracking})` : what;
  }

  /** The hub process dies: its connection is closed with no further write, and a new hub
   *  opens the same folder. Nothing in memory survives but the devices (they are external). */
  restart(): void {
    this.hub.dss.close();
    this.hub = this.openHub();
  }

  dispose(): void {
    this.hub.dss.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  all(): string[] {
    return this.specs.map((s) => s.id);
  }

  /** One run with these devices online. A HubCrash (thrown from a write hook) kills the
   *  hub; it is restarted from its folder. Faults are for this run only. */
  async sync(online: readonly string[], onWrite?: (what: string) => void): Promise<RunSummary | 'crashed'> {
    for (const id of this.devices.keys()) this.hub.detach(id);
    for (const id of online) this.hub.attach(this.devices.get(id)!);
    if (onWrite) instrument(this.hub.dss, onWrite);
    try {
      return await this.hub.sync(online);
    } catch (e) {
      if (!(e instanceof HubCrash)) throw e;
      this.restart();
      return 'crashed';
    } finally {
      this.hub.dss.writeHook = null;
      for (const d of this.devices.values()) d.faults = {};
    }
  }

  // ---- edits ---------------------------------------------------------------------------------
  private dev(id: string): SimulatedDevice {
    return this.devices.get(id)!;
  }

  luidOf(id: string, name: string): Luid {
    const dev = this.dev(id);
    const want = normalizeName(shortenName(name, dev.capacity.maxNameLength));
    const r = dev.records().find((x) => normalizeName(x.data.fn) === want);
    if (!r) throw new Error(`${id} holds no contact named ${name}`);
    return r.luid;
  }

  guidOf(name: string): string {
    const r = this.hub.contacts().find((x) => normalizeName(x.contact.fn) === normalizeName(name));
    if (!r) throw new Error(`the truth holds no contact named ${name}`);
    return r.guid;
  }

  add(where: string, c: Partial<Contact> & { fn: string }): void {
    if (where === EDITOR_SPID) this.hub.editor.add(c);
    else this.dev(where).userAdd(c);
    this.edits.push({ where, name: c.fn, field: 'add', value: c.fn });
  }

  update(where: string, name: string, field: 'tel' | 'email' | 'note', value: string): void {
    const fields: Partial<Contact> = field === 'note' ? { note: value } : { [field]: [{ type: field === 'tel' ? 'cell' : 'home', value }] };
    if (where === EDITOR_SPID) {
      const guid = this.guidOf(name);
      this.hub.editor.update(guid, { ...this.hub.contact(guid)!.contact, ...fields });
    } else this.dev(where).userUpdate(this.luidOf(where, name), fields);
    this.edits.push({ where, name, field, value });
  }

  delete(where: string, name: string): void {
    if (where === EDITOR_SPID) this.hub.editor.delete(this.guidOf(name));
    else this.dev(where).userDelete(this.luidOf(where, name));
    this.edits.push({ where, name, field: 'delete', value: '' });
  }

  // ---- the four invariants ------------------------------------------------------------------
  truth(): Contact[] {
    return this.hub.contacts().map((r) => r.contact);
  }

  /** 1. Converged: every device holds exactly the truth through its projection. */
  checkConverged(): void {
    const truth = this.truth();
    for (const [id, dev] of this.devices) {
      const diff = multisetDiff(
        dev.records().map((r) => r.data),
        truth.map((c) => project(c, dev.capacity)),
      );
      if (diff) throw new Error(`not converged: ${id}: ${diff}`);
    }
  }

  /** 2. Nothing lost: each user's last edit of each element is in the truth, or lost a
   *  conflict and is in the conflict log as a loser; a deleted contact is gone from the
   *  truth, or its delete lost a logged delete/update conflict. */
  checkNothingLost(): void {
    const truth = this.truth();
    const conflicts = this.hub.conflicts(100_000);
    const inTruth = (name: string) => truth.filter((c) => normalizeName(c.fn) === normalizeName(name));
    const lostValue = (v: string) =>
      conflicts.some((c) => c.elements.some((e) => e.losers.some((l) => (l.value ?? '').includes(v))) || c.versions.some((x) => !x.won && x.contact !== null && JSON.stringify(x.contact).includes(v)));
    const lostDelete = (name: string) =>
      conflicts.some((c) => c.kind === 'delete-update' && c.versions.some((x) => !x.won && x.contact === null) && c.versions.some((x) => x.contact && normalizeName(x.contact.fn) === normalizeName(name)));
    const wonDelete = (name: string) =>
      conflicts.some((c) => c.kind === 'delete-update' && c.versions.some((x) => x.won && x.contact === null) && c.versions.some((x) => x.contact && normalizeName(x.contact.fn) === normalizeName(name)));
    const last = new Map<string, Edit>();
    for (const e of this.edits) last.set(`${e.where}\u0000${e.name}\u0000${e.field === 'delete' || e.field === 'add' ? 'life' : e.field}`, e);
    for (const e of last.values()) {
      const recs = inTruth(e.name);
      const deletedLater = this.edits.slice(this.edits.indexOf(e) + 1).some((x) => x.name === e.name && x.field === 'delete');
      switch (e.field) {
        case 'add':
          if (recs.length === 0 && !this.edits.some((x) => x.name === e.name && x.field === 'delete')) throw new Error(`lost: ${e.where}'s new contact ${e.name} is not in the truth and was never deleted`);
          break;
        case 'delete':
          if (recs.length > 0 && !lostDelete(e.name)) throw new Error(`lost: ${e.where} deleted ${e.name}, it is still in the truth and no lost delete is logged`);
          break;
        default: {
          const v = e.field === 'tel' ? normalizeContact(contactOf({ tel: [{ type: '', value: e.value }] }), REGION).tel[0]!.value : e.value;
          const held = recs.some((c) => (e.field === 'note' ? c.note === v : c[e.field as 'tel' | 'email'].some((t) => t.value === v)));
          if (held || lostValue(v)) break;
          if (recs.length === 0 && (deletedLater || wonDelete(e.name))) break;
          throw new Error(`lost: ${e.where}'s ${e.field} ${e.value} of ${e.name} is neither in the truth nor a logged conflict loser`);
        }
      }
    }
  }

  /** 3. No duplicates, in the truth and on every device. */
  checkNoDuplicates(): void {
    const sets: [string, Contact[]][] = [['the truth', this.truth()], ...[...this.devices].map(([id, d]): [string, Contact[]] => [id, d.records().map((r) => normalizeContact(r.data, REGION))])];
    for (const [where, contacts] of sets) {
      const dup = firstDuplicate(contacts);
      if (dup) throw new Error(`duplicates in ${where}: ${describeContact(dup[0])} and ${describeContact(dup[1])}`);
    }
  }

  /** 4. Idempotent: an extra run with no edits sends nothing and changes nothing. */
  async checkIdempotent(): Promise<void> {
    const before = this.hub.dss.stateDigest();
    const held = [...this.devices].map(([id, d]) => [id, JSON.stringify(d.records().map((r) => [r.luid, r.data]))] as const);
    const received = [...this.devices.values()].map((d) => d.received.length);
    const r = await this.sync(this.all());
    if (r === 'crashed' || r.outcome !== 'ok') throw new Error(`not idempotent: the extra run did not finish ok (${r === 'crashed' ? r : r.outcome})`);
    const ops = [...this.devices].flatMap(([id, d], i) => d.received.slice(received[i]).map((op) => `${op.action} to ${id}`));
    if (ops.length > 0) throw new Error(`not idempotent: an extra run sent ${ops.length} operation(s): ${ops.slice(0, 5).join(', ')}`);
    if (this.hub.dss.stateDigest() !== before) throw new Error('not idempotent: an extra run changed the DSS');
    for (const [id, snap] of held) {
      if (JSON.stringify(this.devices.get(id)!.records().map((x) => [x.luid, x.data])) !== snap) throw new Error(`not idempotent: an extra run changed ${id}`);
    }
  }

  /** The DSS is consistent: every action refers to a truth record (ADD/UPDATE) or to a
   *  mapped one (DELETE), every map to a paired device. */
  checkDssConsistent(): void {
    const db = this.hub.dss.db;
    expectEmpty(db.prepare("SELECT spid, guid, action FROM actions a WHERE action IN ('ADD', 'UPDATE') AND NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = a.guid)").all(), 'ADD/UPDATE actions without a truth record');
    expectEmpty(db.prepare("SELECT spid, guid FROM actions a WHERE action = 'DELETE' AND NOT EXISTS (SELECT 1 FROM maps m WHERE m.spid = a.spid AND m.guid = a.guid)").all(), 'DELETE actions on records the device does not hold');
    expectEmpty(db.prepare("SELECT spid, guid FROM actions a WHERE action = 'UPDATE' AND NOT EXISTS (SELECT 1 FROM maps m WHERE m.spid = a.spid AND m.guid = a.guid)").all(), 'UPDATE actions on unmapped records');
    expectEmpty(db.prepare('SELECT DISTINCT spid FROM maps m WHERE NOT EXISTS (SELECT 1 FROM sync_points p WHERE p.spid = m.spid)').all(), 'maps of unknown devices');
  }
}

function expectEmpty(rows: unknown[], what: string): void {
  if (rows.length > 0) throw new Error(`DSS inconsistent: ${what}: ${JSON.stringify(rows.slice(0, 3))}`);
}

export function tmpRoot(): string {
  return fs.existsSync('/dev/shm') ? '/dev/shm' : (process.env.TMPDIR ?? '/tmp');
}

export function uniqueDir(root: string, prefix: string): string {
  return fs.mkdtempSync(path.join(root, prefix));
}
