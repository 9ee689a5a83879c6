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
import { type EntryData, type PhoneLimits, baseOf, contactToEntries, entriesToContacts, luidOf, projectedNameLength } from './mapping';
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
  /** Per storage, the name in every used slot (placement keeps same-named contacts apart). */
  private used = new Map<string, Map<number, string>>();
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
      this.used.set(info.name, new Map(entries.map((e) => [e.index, e.name])));
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

  private usedOf(storage: string): Map<number, string> {
    let m = this.used.get(storage);
    if (!m) this.used.set(storage, (m = new Map()));
    return m;
  }

  /**
   * Slots for `k` entries: the first k of a run of free slots (no used slot between them, so
   * they read back as one contact) whose used neighbours do not carry the same suffixed name
   * (they would be read as one contact with it). `ignore`: slots about to be freed.
   * Null when no run fits; a fragmented storage may refuse a 3-number contact with room left.
   */
  private place(storage: string, k: number, base: string | null, ignore: ReadonlySet<number> = new Set()): number[] | null {
    const info = this.storages.find((s) => s.name === storage)!;
    const used = this.usedOf(storage);
    const isUsed = (i: number) => used.has(i) && !ignore.has(i);
    const clash = (i: number) => base !== null && isUsed(i) && baseOf(used.get(i)!) === base;
    for (let i = info.first; i <= info.last; ) {
      if (isUsed(i)) {
        i++;
        continue;
      }
      let end = i;
      while (end + 1 <= info.last && !isUsed(end + 1)) end++;
      if (end - i + 1 >= k && !clash(i - 1) && !clash(end + 1)) return Array.from({ length: k }, (_, j) => i + j);
      i = end + 1;
    }
    return null;
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
      this.usedOf(h.storage).delete(ix);
    }
  }

  /** Writes entries into slots, ascending; on a refusal removes what it wrote (never half a
   *  contact left behind: it would read back as another record) and rethrows. */
  private async writeAll(storage: string, slots: readonly number[], entries: readonly EntryData[], old?: Map<number, EntryData>): Promise<void> {
    const written: number[] = [];
    try {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const prev = old?.get(slots[i]!);
        // Only what differs is written: changing one number of a contact is one CPBW, atomic.
        if (prev && prev.name === e.name && prev.number === e.number) continue;
        await this.phone.write(storage, slots[i]!, e.number, e.name);
        if (!old?.has(slots[i]!)) written.push(slots[i]!);
        this.usedOf(storage).set(slots[i]!, e.name);
      }
    } catch (err) {
      if (err instanceof AtError && written.length) await this.remove({ storage, indices: [], entries: [] }, written);
      throw err;
    }
  }

  private async add(op: PushOp): Promise<PushResult> {
    if (!op.data) throw new PushFailure('rejected', 'ADD without data');
    let limits = this.limits;
    for (const st of this.storages) {
      for (;;) {
        const entries = contactToEntries(op.data, limits);
        const slots = this.place(st.name, entries.length, baseOf(entries[0]!.name));
        if (!slots) break; // no room here: try the next storage
        try {
          await this.writeAll(st.name, slots, entries);
        } catch (err) {
          if (!(err instanceof AtError)) throw err;
          if (err.cme === CME.memoryFull) break;
          if (err.cme === CME.textTooLong && limits.nameLength > 3) {
            limits = { ...limits, nameLength: limits.nameLength - 1 };
            continue;
          }
          throw err;
        }
        const h: Held = { storage: st.name, indices: slots, entries };
        const luid = luidOf(st.name, slots[0]!);
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
      const oldAt = new Map(old.indices.map((ix, i) => [ix, old.entries[i]!]));
      let slots: number[] | null = old.indices.slice(0, entries.length);
      let moved = false;
      if (entries.length > old.indices.length) {
        // Grow into the free slots right after the last entry, else move the whole contact.
        const info = this.storages.find((s) => s.name === old.storage)!;
        const used = this.usedOf(old.storage);
        for (let i = old.indices[old.indices.length - 1]! + 1; slots.length < entries.length && i <= info.last && !used.has(i); i++) slots.push(i);
        if (slots.length < entries.length) {
          slots = this.place(old.storage, entries.length, baseOf(entries[0]!.name), new Set(old.indices));
          moved = true;
          if (!slots) throw new PushFailure('full', `no room on ${old.storage} for ${entries.length} entries`);
        }
      }
      try {
        if (moved) {
          // Write the new copy before removing the old one: a cut leaves a duplicate, which
          // the duplicate detector joins (R6/R8), rather than a loss.
          await this.writeAll(old.storage, slots, entries);
          await this.remove(old, old.indices.filter((ix) => !slots!.includes(ix)));
        } else {
          await this.writeAll(old.storage, slots, entries, oldAt);
          await this.remove(old, old.indices.filter((ix) => !slots!.includes(ix)));
        }
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
