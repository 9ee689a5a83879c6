// A simulated device, in memory, implementing SyncPoint exactly as a real adapter does
// (style.md: "the memory driver"). It has the two behaviours of scenario-format.md —
// `log` (a SyncML-like change log) and `snapshot` (an AT-phonebook-like listing) — its
// capacity, and every fault of the scenario format injected at this interface.
import { contactOf, type Contact } from '../../core/contact';
import { project, shortenName, type Capacity } from '../../core/projection';
import type { ActionKind, ChangeTracking, Guid, LateAck, Luid, ReportedRecord, Spid } from '../../core/types';
import { LinkLostError, type PushOp, type PushResult, type Retrieved, type SyncPoint } from '../../hub/sync-point';

export interface SimulatedFaults {
  cutDuring?: 'retrieve';
  /** During the push, apply this many operations, each acknowledged, then drop the link. */
  cutAfterApplies?: number;
  /** With cutAfterApplies: also apply the next operation, whose acknowledgement is lost. */
  ackLost?: boolean;
}

export interface SimulatedDeviceOptions {
  spid: Spid;
  changeTracking?: ChangeTracking;
  capacity?: Capacity;
  initial?: Partial<Contact>[];
  /** Delay before each acknowledgement, so a UI can show progress. */
  opDelayMs?: number;
}

/** Everything a simulated device holds, as plain data: what a real phone or laptop keeps in
 *  its own storage between sessions (its contacts, LUIDs, change log and sync state). */
export interface SimulatedDeviceState {
  held: { luid: Luid; data: Contact; guid?: Guid }[];
  nextIndex: number;
  log: [Luid, 'ADDED' | 'UPDATED' | 'DELETED'][];
  reported: Luid[];
  lateAcks: LateAck[];
  lostState: boolean;
  renamed: [Luid, Luid][];
  faults: SimulatedFaults;
}

interface Held {
  luid: Luid;
  data: Contact;
  /** The record the hub wrote here (bookkeeping of the simulator, never shown to the hub). */
  guid?: Guid;
}

export class SimulatedDevice implements SyncPoint {
  readonly spid: Spid;
  readonly changeTracking: ChangeTracking;
  readonly capacity: Capacity;
  private readonly held = new Map<Luid, Held>();
  private nextIndex = 1;
  /** The change log of a `log` device: LUID → what it reports. */
  private readonly log = new Map<Luid, 'ADDED' | 'UPDATED' | 'DELETED'>();
  /** LUIDs reported to the hub since the last run whose push completed: the hub may know
   *  them, so an ADDED record deleted since is reported DELETED, not forgotten. */
  private readonly reported = new Set<Luid>();
  private lateAcks: LateAck[] = [];
  private lostState = false;
  /** Old LUID → new LUID after a reset (simulator bookkeeping for scenario keys). */
  private readonly renamed = new Map<Luid, Luid>();
  /** Faults for the next run only. */
  faults: SimulatedFaults = {};
  /** Every op the hub pushed, for tests (`idempotent` checks that a run sent nothing). */
  readonly received: PushOp[] = [];
  private readonly opDelayMs: number;

  constructor(opts: SimulatedDeviceOptions) {
    this.spid = opts.spid;
    this.changeTracking = opts.changeTracking ?? 'log';
    this.capacity = opts.capacity ?? {};
    this.opDelayMs = opts.opDelayMs ?? 0;
    for (const c of opts.initial ?? []) this.userAdd(c);
  }

  /** The device's storage, to keep across restarts of the process that simulates it. */
  state(): SimulatedDeviceState {
    return structuredClone({
      held: this.records(),
      nextIndex: this.nextIndex,
      log: [...this.log],
      reported: [...this.reported],
      lateAcks: this.lateAcks,
      lostState: this.lostState,
      renamed: [...this.renamed],
      faults: this.faults,
    });
  }

  /** The device as `state()` left it (`initial` is ignored: the storage holds the contacts). */
  static fromState(opts: SimulatedDeviceOptions, state: SimulatedDeviceState): SimulatedDevice {
    const d = new SimulatedDevice({ ...opts, initial: [] });
    const s = structuredClone(state);
    for (const h of s.held) d.held.set(h.luid, { luid: h.luid, data: contactOf(h.data), ...(h.guid ? { guid: h.guid } : {}) });
    d.nextIndex = s.nextIndex;
    for (const [k, v] of s.log) d.log.set(k, v);
    for (const l of s.reported) d.reported.add(l);
    d.lateAcks = s.lateAcks;
    d.lostState = s.lostState;
    for (const [k, v] of s.renamed) d.renamed.set(k, v);
    d.faults = s.faults;
    return d;
  }

  // ---- what the device's user does -------------------------------------------------------
  /** Stores a contact the way the device can hold it: fields it keeps, names shortened. */
  private fit(c: Contact): Contact {
    const p = project(c, this.capacity);
    return { ...p, fn: shortenName(p.fn, this.capacity.maxNameLength) };
  }

  userAdd(c: Partial<Contact>): Luid {
    const luid = `${this.spid}-${this.nextIndex++}`;
    this.held.set(luid, { luid, data: this.fit(contactOf(c)) });
    this.log.set(luid, 'ADDED');
    return luid;
  }

  userUpdate(luid: Luid, fields: Partial<Contact>): void {
    const h = this.held.get(luid);
    if (!h) throw new Error(`${this.spid} holds no record ${luid}`);
    h.data = this.fit(contactOf({ ...h.data, ...fields }));
    if (this.log.get(luid) !== 'ADDED') this.log.set(luid, 'UPDATED');
  }

  userDelete(luid: Luid): void {
    if (!this.held.delete(luid)) throw new Error(`${this.spid} holds no record ${luid}`);
    if (this.log.get(luid) === 'ADDED' && !this.reported.has(luid)) this.log.delete(luid);
    else this.log.set(luid, 'DELETED');
  }

  /** The device loses its sync state but keeps its contacts: new LUIDs for everything. */
  reset(): void {
    const old = [...this.held.values()];
    this.held.clear();
    this.log.clear();
    this.reported.clear();
    this.lateAcks = [];
    for (const h of old) {
      const luid = `${this.spid}-${this.nextIndex++}`;
      this.held.set(luid, { ...h, luid });
      this.renamed.set(h.luid, luid);
    }
    this.lostState = true;
  }

  records(): { luid: Luid; data: Contact; guid?: Guid }[] {
    return [...this.held.values()].map((h) => ({ luid: h.luid, data: h.data, ...(h.guid ? { guid: h.guid } : {}) }));
  }

  /** The LUID a record the device once called `luid` has now (it changes on reset). */
  currentLuid(luid: Luid): Luid {
    let l = luid;
    for (let next = this.renamed.get(l); next !== undefined; next = this.renamed.get(l)) l = next;
    return l;
  }

  /** The LUID of the record the hub knows as `guid` (simulator bookkeeping). */
  luidOfGuid(guid: Guid): Luid | undefined {
    for (const h of this.held.values()) if (h.guid === guid) return h.luid;
    return undefined;
  }

  // ---- SyncPoint ------------------------------------------------------------------------
  async retrieve(): Promise<Retrieved> {
    if (this.faults.cutDuring === 'retrieve') {
      this.faults = { ...this.faults, cutDuring: undefined };
      throw new LinkLostError(`${this.spid}: link dropped during retrieve`);
    }
    if (this.changeTracking === 'snapshot') {
      return { changeTracking: 'snapshot', lostSyncState: this.lostState, listing: this.records().map(({ luid, data }) => ({ luid, data })), skipped: [] };
    }
    let records: ReportedRecord[];
    if (this.lostState) {
      records = this.records().map(({ luid, data }) => ({ luid, state: 'ADDED', data }));
    } else {
      records = [];
      for (const [luid, state] of this.log) {
        const h = this.held.get(luid);
        if (state === 'DELETED') records.push({ luid, state });
        else if (h) records.push({ luid, state, data: h.data });
      }
    }
    for (const r of records) this.reported.add(r.luid);
    return { changeTracking: 'log', lostSyncState: this.lostState, records, lateAcks: [...this.lateAcks], skipped: [] };
  }

  private apply(op: PushOp): Luid {
    this.received.push(op);
    switch (op.action) {
      case 'ADD': {
        const luid = `${this.spid}-${this.nextIndex++}`;
        this.held.set(luid, { luid, data: this.fit(op.data ?? contactOf({})), guid: op.guid });
        return luid;
      }
      case 'UPDATE': {
        const h = op.luid ? this.held.get(op.luid) : undefined;
        if (h) {
          h.data = this.fit(op.data ?? contactOf({}));
          h.guid = op.guid;
        }
        return op.luid ?? '';
      }
      case 'DELETE':
        if (op.luid) this.held.delete(op.luid);
        return op.luid ?? '';
    }
  }

  async push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    const { cutAfterApplies, ackLost } = this.faults;
    this.faults = {};
    for (const [i, op] of ops.entries()) {
      if (cutAfterApplies !== undefined && i === cutAfterApplies) {
        if (ackLost) {
          const luid = this.apply(op);
          // A log device re-sends the acknowledgement at its next run (a SyncML Map).
          if (this.changeTracking === 'log') this.lateAcks.push({ guid: op.guid, action: op.action as ActionKind, luid, data: this.held.get(luid)?.data });
        }
        throw new LinkLostError(`${this.spid}: link dropped after ${i} operations`);
      }
      if (this.opDelayMs > 0) await new Promise((r) => setTimeout(r, this.opDelayMs));
      const max = this.capacity.maxEntries;
      if (op.action === 'ADD' && max !== undefined && this.held.size >= max) {
        // As a full SIM answers +CME ERROR: 20: the action stays pending.
        onAcks([{ op, ok: false, error: { code: 'full', message: `${this.spid} is full (${max} entries)` } }]);
        continue;
      }
      const luid = this.apply(op);
      try {
        onAcks([{ op, ok: true, luid }]);
      } catch (e) {
        // The hub died taking the acknowledgement: a log device sends it again next time.
        if (this.changeTracking === 'log') this.lateAcks.push({ guid: op.guid, action: op.action, luid, data: this.held.get(luid)?.data });
        throw e;
      }
    }
  }

  async finish(pushCompleted: boolean): Promise<void> {
    // A log device forgets its change log (and the acknowledgements it re-sent) only when
    // its own push completed.
    if (pushCompleted) {
      this.log.clear();
      this.reported.clear();
      this.lateAcks = [];
      this.lostState = false;
    }
  }
}
