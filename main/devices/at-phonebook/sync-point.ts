// A handset's AT phonebook as a sync point. It keeps no change log, so it is a `snapshot`
// device: retrieve lists everything the chosen storages hold, the hub derives the states by
// comparing with the bases it stored (sync-method.md, "How a device reports states").
//
// Its capacity makes the hub's project() produce what the phone will hold (mapping.ts):
// fields fn and tel, names cut to the phone's limit minus the 2-character suffix. What
// Capacity cannot say yet (a GSM-only charset, tel types reduced to M/W/H/F/P/O, numbers
// reduced to dialable characters) is returned as `stored` with the acknowledgement, so the
// hub's base is what the phone holds and a clean re-read is never an edit.
//
// Swapped SIM: the IMEI names the device; the IMSI recorded at the last sync
// (`knownImsi`, kept in the device's config) differing from the SIM now inserted means the
// SIM storage is another card's. We report lostSyncState: the hub forgets this device's map,
// matches everything listed against the truth with the duplicate detector and sends what the
// card lacks; nothing under an old LUID is read as deleted, so the old card's contacts stay
// in the truth. (A new device per SIM was the alternative; it would leave the old card's
// pending actions stranded on a sync point that can no longer be reached.)
import type { SerialLink } from '../../../native/serial';
import { equalContacts, type Contact } from '../../core/contact';
import type { Capacity } from '../../core/projection';
import type { Luid, Spid } from '../../core/types';
import { LinkLostError, type ListedRecord, type PushOp, type PushResult, type Retrieved, type SyncPoint } from '../../hub/sync-point';
import { AtError } from './at-channel';
import { type EntryData, type PhoneLimits, contactToEntries, entriesToContacts, luidOf, projectedNameLength } from './mapping';
import { AtPhone, CME, type PhoneEntry, type PhoneIdentity, type PhoneOptions, type StorageInfo } from './phone';

export interface AtPhonebookOptions extends PhoneOptions {
  spid: Spid;
  /** Storages synced, in the order new contacts fill them; default SM then ME (those the
   *  phone offers). The user picks. */
  storages?: readonly string[];
  /** IMSI recorded at the last sync (device config `imsi`); null/undefined: not known. */
  knownImsi?: string | null;
}

interface Held {
  storage: string;
  /** Ascending; the first names the record. */
  indices: number[];
  entries: EntryData[];
}

class PushFailure extends Error {
  constructor(
    readonly code: 'rejected' | 'full' | 'too-long' | 'busy' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export class AtPhonebookSyncPoint implements SyncPoint {
  readonly changeTracking = 'snapshot' as const;
  readonly capacity: Capacity;
  private held: Map<Luid, Held> | null = null;
  private used = new Map<string, Set<number>>();
  /** Bytes and commands are counted by the link; this counts entries read, for progress. */
  entriesRead = 0;

  private constructor(
    readonly spid: Spid,
    private readonly phone: AtPhone,
    readonly identity: PhoneIdentity,
    readonly storages: StorageInfo[],
    readonly limits: PhoneLimits,
    private readonly knownImsi: string | null,
  ) {
    this.capacity = {
      fields: ['fn', 'tel'],
      maxNameLength: projectedNameLength(limits),
      maxEntries: storages.reduce((n, s) => n + s.last - s.first + 1, 0),
    };
  }

  /** Wakes the phone, reads who it is and what its storages can hold. */
  static async open(link: SerialLink, opts: AtPhonebookOptions): Promise<AtPhonebookSyncPoint> {
    const phone = await AtPhone.open(link, opts);
    const identity = await phone.identity();
    const offered = await phone.storageNames();
    const wanted = (opts.storages ?? ['SM', 'ME']).filter((s) => offered.includes(s));
    if (wanted.length === 0) throw new AtError('AT+CPBS=?', null, `none of ${(opts.storages ?? ['SM', 'ME']).join(', ')} offered (${offered.join(', ')})`);
    const infos: StorageInfo[] = [];
    for (const s of wanted) infos.push(await phone.select(s));
    const limits: PhoneLimits = {
      nameLength: Math.min(...infos.map((i) => i.nameLength)),
      numberLength: Math.min(...infos.map((i) => i.numberLength)),
      charset: phone.charset,
    };
    return new AtPhonebookSyncPoint(opts.spid, phone, identity, infos, limits, opts.knownImsi ?? null);
  }

  /** What the hub keeps in the device's config after a sync (so a swapped SIM is seen). */
  config(): Record<string, unknown> {
    return {
      imei: this.identity.imei,
      imsi: this.identity.imsi,
      storages: this.storages.map((s) => s.name),
      port: this.phone.link.path,
    };
  }

  get lostSyncState(): boolean {
    return this.knownImsi !== null && this.identity.imsi !== null && this.knownImsi !== this.identity.imsi;
  }

  async retrieve(): Promise<Retrieved> {
    const held = new Map<Luid, Held>();
    const listing: ListedRecord[] = [];
    this.entriesRead = 0;
    for (let i = 0; i < this.storages.length; i++) {
      // Re-select: the used count (for stopping early) changes with every write.
      const info = await this.phone.select(this.storages[i]!.name);
      this.storages[i] = info;
      const entries = await this.phone.readAll(info);
      this.entriesRead += entries.length;
      this.used.set(info.name, new Set(entries.map((e) => e.index)));
      const byIndex = new Map<number, PhoneEntry>(entries.map((e) => [e.index, e]));
      for (const g of entriesToContacts(entries)) {
        const luid = luidOf(info.name, g.indices[0]!);
        held.set(luid, {
          storage: info.name,
          indices: g.indices,
          entries: g.indices.map((ix) => ({ name: byIndex.get(ix)!.name, number: byIndex.get(ix)!.number })),
        });
        listing.push({ luid, data: g.contact });
      }
    }
    this.held = held;
    return { changeTracking: 'snapshot', lostSyncState: this.lostSyncState, listing, skipped: [] };
  }

  async push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    if (!this.held) await this.retrieve(); // the layout of the storages is needed to place entries
    for (const op of ops) {
      let result: PushResult;
      try {
        result = await this.apply(op);
      } catch (err) {
        if (err instanceof LinkLostError) throw err;
        if (err instanceof PushFailure) result = { op, ok: false, error: { code: err.code, message: err.message } };
        else if (err instanceof AtError) result = { op, ok: false, error: { code: codeOf(err), message: err.message } };
        else throw err;
      }
      onAcks([result]);
    }
  }

  async finish(_pushCompleted: boolean): Promise<void> {
    // The next run reads the phone again; nothing of this one's layout is trusted then.
    this.held = null;
  }

  /** Releases the link (the phone stays plugged in; the caller owns the port). */
  detach(): void {
    this.phone.detach();
  }

  async close(): Promise<void> {
    this.phone.detach();
    await this.phone.link.close();
  }

  // -------------------------------------------------------------------------------------

  private free(storage: string): number[] {
    const info = this.storages.find((s) => s.name === storage)!;
    const used = this.used.get(storage) ?? new Set();
    const out: number[] = [];
    for (let i = info.first; i <= info.last; i++) if (!used.has(i)) out.push(i);
    return out;
  }

  private async apply(op: PushOp): Promise<PushResult> {
    switch (op.action) {
      case 'DELETE': {
        const h = op.luid ? this.held!.get(op.luid) : undefined;
        // Not there any more: the device already does not hold it, which is what DELETE asks.
        if (h) await this.remove(h, h.indices);
        if (op.luid) this.held!.delete(op.luid);
        return { op, ok: true, luid: op.luid ?? '' };
      }
      case 'ADD':
        return this.add(op);
      case 'UPDATE': {
        const h = op.luid ? this.held!.get(op.luid) : undefined;
        if (!h) return this.add(op); // gone from the phone meanwhile: write it afresh
        return this.update(op, h);
      }
    }
  }

  /** Deletes slots highest first, so the slot that names the record goes last: a cut
   *  leaves the record under its LUID with fewer numbers, never re-keyed. */
  private async remove(h: Held, indices: readonly number[]): Promise<void> {
    for (const ix of [...indices].sort((a, b) => b - a)) {
      await this.phone.delete(h.storage, ix);
      this.used.get(h.storage)?.delete(ix);
    }
  }

  private async add(op: PushOp): Promise<PushResult> {
    if (!op.data) throw new PushFailure('rejected', 'ADD without data');
    let limits = this.limits;
    for (const st of this.storages) {
      for (;;) {
        const entries = contactToEntries(op.data, limits);
        const slots = this.free(st.name).slice(0, entries.length);
        if (slots.length < entries.length) break; // this storage is full: try the next
        const h: Held = { storage: st.name, indices: [], entries: [] };
        try {
          for (let i = 0; i < entries.length; i++) {
            await this.phone.write(st.name, slots[i]!, entries[i]!.number, entries[i]!.name);
            this.used.get(st.name)!.add(slots[i]!);
            h.indices.push(slots[i]!);
            h.entries.push(entries[i]!);
          }
        } catch (err) {
          if (!(err instanceof AtError)) throw err;
          // Never leave half a contact behind: it would read back as another record.
          if (h.indices.length) await this.remove(h, h.indices);
          if (err.cme === CME.memoryFull) break;
          if (err.cme === CME.textTooLong && limits.nameLength > 3) {
            limits = { ...limits, nameLength: limits.nameLength - 1 };
            continue;
          }
          throw err;
        }
        const luid = luidOf(st.name, h.indices[0]!);
        this.held!.set(luid, h);
        return this.acked(op, luid, h);
      }
    }
    throw new PushFailure('full', `no room on ${this.storages.map((s) => s.name).join('/')} for ${contactToEntries(op.data, limits).length} entries`);
  }

  private async update(op: PushOp, old: Held): Promise<PushResult> {
    if (!op.data) throw new PushFailure('rejected', 'UPDATE without data');
    let limits = this.limits;
    for (;;) {
      const entries = contactToEntries(op.data, limits);
      let slots = old.indices.slice(0, entries.length);
      if (entries.length > old.indices.length) {
        const free = this.free(old.storage);
        // Prefer slots after the first one, so the record keeps its LUID.
        const after = free.filter((i) => i > old.indices[0]!);
        const before = free.filter((i) => i < old.indices[0]!);
        const extra = [...after, ...before].slice(0, entries.length - old.indices.length);
        if (extra.length < entries.length - old.indices.length) throw new PushFailure('full', `no room on ${old.storage} for ${entries.length} entries`);
        slots = [...slots, ...extra].sort((a, b) => a - b);
      }
      const oldAt = new Map(old.indices.map((ix, i) => [ix, old.entries[i]!]));
      try {
        // Only what differs is written: changing one number of a contact is one CPBW, atomic.
        for (let i = 0; i < entries.length; i++) {
          const prev = oldAt.get(slots[i]!);
          const e = entries[i]!;
          if (prev && prev.name === e.name && prev.number === e.number) continue;
          await this.phone.write(old.storage, slots[i]!, e.number, e.name);
          this.used.get(old.storage)!.add(slots[i]!);
        }
        const surplus = old.indices.filter((ix) => !slots.includes(ix));
        await this.remove(old, surplus);
      } catch (err) {
        if (err instanceof AtError && err.cme === CME.textTooLong && limits.nameLength > 3) {
          limits = { ...limits, nameLength: limits.nameLength - 1 };
          continue;
        }
        if (err instanceof AtError && err.cme === CME.memoryFull) throw new PushFailure('full', err.message);
        throw err;
      }
      const h: Held = { storage: old.storage, indices: slots, entries };
      this.held!.delete(op.luid!);
      const luid = luidOf(old.storage, slots[0]!);
      this.held!.set(luid, h);
      return this.acked(op, luid, h);
    }
  }

  private acked(op: PushOp, luid: Luid, h: Held): PushResult {
    const stored: Contact | undefined = entriesToContacts(h.indices.map((index, i) => ({ index, ...h.entries[i]! })))[0]?.contact;
    if (stored && op.data && !equalContacts(stored, op.data)) return { op, ok: true, luid, stored };
    return { op, ok: true, luid };
  }
}

function codeOf(err: AtError): 'rejected' | 'full' | 'too-long' | 'busy' | 'unsupported' {
  switch (err.cme) {
    case CME.memoryFull:
      return 'full';
    case CME.textTooLong:
    case CME.dialTooLong:
      return 'too-long';
    case CME.simBusy:
    case CME.busy:
      return 'busy';
    case CME.notSupported:
      return 'unsupported';
    default:
      return 'rejected';
  }
}
