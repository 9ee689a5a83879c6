// What a run reads of the DSS, and the overlay in which it writes its plan. The method
// loads "the truth and every action table"; reading them through this view instead loads
// only what the run touches, so the cost of a run follows its changes, not the size of the
// truth. Reads are synchronous (the DSS is SQLite through better-sqlite3), so the planning
// functions stay pure: the view is their argument, and they never write to it but through
// the overlay, which the hub commits in one transaction (step 6).
import { toElements, type Contact, type Elements } from './contact';
import { candidatesOf, DuplicateIndex } from './duplicates';
import { HoldSet } from './holds';
import type { Guid, Luid, MapEntry, PendingAction, Spid, TruthRecord } from './types';

export interface DssView {
  truth(guid: Guid): TruthRecord | undefined;
  /** Every record of the truth, by GUID and creation order, without its content (used only
   *  for devices that lost their sync state and for filling capacity-limited devices). */
  truthIndex(): Iterable<{ guid: Guid; seq: number }>;
  mapOf(spid: Spid, guid: Guid): MapEntry | undefined;
  mapByLuid(spid: Spid, luid: Luid): MapEntry | undefined;
  /** The map entries of these LUIDs on a device, in one read (LUIDs it maps none to are
   *  absent). `parsed`, here and in rowsOf: contacts already read, by their stored text,
   *  shared between the entries of one plan (devices holding the same version). */
  mapsByLuid(spid: Spid, luids: readonly Luid[], parsed?: Map<string, Contact>): MapEntry[];
  mapsOf(spid: Spid): MapEntry[];
  pending(spid: Spid, guid: Guid): PendingAction | undefined;
  pendingOf(spid: Spid): PendingAction[];
  /** GUIDs of truth records indexed under any of these duplicate-detector keys (a
   *  superset of the duplicates; the caller checks each). `namePrefix`: also records whose
   *  name key starts with it (a device that shortened the name). */
  candidates(keys: readonly string[], namePrefix?: string): Guid[];
  /** The GUIDs indexed under each of these keys, in one read (a key nothing is indexed
   *  under is absent). */
  keyRows(keys: readonly string[]): Map<string, Guid[]>;
  /** Which of these keys any record is indexed under. */
  keysPresent(keys: readonly string[]): Set<string>;
  /** Which of these (key, record) pairs the index holds. */
  keyPairs(pairs: readonly (readonly [string, Guid])[]): [string, Guid][];
  /** The next creation sequence number. */
  nextSeq(): number;
  /** Who deleted a record that left the truth, and its last version. */
  tombstone(guid: Guid): Tombstone | undefined;
  /** Whether the device has any map entry or pending action (a new device has none, and
   *  costs no look-ups). */
  hasRows(spid: Spid): boolean;
  /** The map entries and pending actions of these records on this device, in one read. */
  rowsOf(spid: Spid, guids: readonly Guid[], parsed?: Map<string, Contact>): { maps: MapEntry[]; pending: PendingAction[] };
}

export interface Tombstone {
  spid: Spid;
  contact: Contact;
}

/** Rows per device, then per record: a look-up costs two hashes of strings that already
 *  exist (a GUID or LUID keeps its hash), where one joined key would be built and hashed
 *  on every call. */
export class PerDevice<K extends string, V> {
  private readonly bySpid = new Map<Spid, Map<K, V>>();
  of(spid: Spid): Map<K, V> | undefined {
    return this.bySpid.get(spid);
  }
  get(spid: Spid, k: K): V | undefined {
    return this.bySpid.get(spid)?.get(k);
  }
  has(spid: Spid, k: K): boolean {
    return this.bySpid.get(spid)?.has(k) ?? false;
  }
  set(spid: Spid, k: K, v: V): void {
    let m = this.bySpid.get(spid);
    if (!m) this.bySpid.set(spid, (m = new Map()));
    m.set(k, v);
  }
  /** The devices with rows here. */
  spids(): IterableIterator<Spid> {
    return this.bySpid.keys();
  }
  forget(spid: Spid): void {
    this.bySpid.delete(spid);
  }
  /** Every row, device by device, each device's rows in the order they were first set. */
  *entries(): IterableIterator<[Spid, K, V]> {
    for (const [spid, m] of this.bySpid) for (const [k, v] of m) yield [spid, k, v];
  }
  *values(): IterableIterator<V> {
    for (const m of this.bySpid.values()) yield* m.values();
  }
}

/** The plan of a run: writes over a view, readable through the same interface. */
export class Overlay implements DssView {
  readonly truthPuts = new Map<Guid, TruthRecord>();
  readonly truthDeletes = new Set<Guid>();
  /** For each record this run deleted: who deleted it and its last version. */
  readonly tombstones = new Map<Guid, Tombstone>();
  /** (spid, guid) → entry, or null for a deleted entry. */
  readonly maps = new PerDevice<Guid, MapEntry | null>();
  readonly actions = new PerDevice<Guid, PendingAction | null>();
  /** Devices whose whole map was forgotten (lost sync state) before the entries above. */
  readonly forgotten = new Set<Spid>();
  /** Devices that get an ADD of every truth record they neither map nor have an action
   *  for (sendAllLacking): the commit writes those in one statement. */
  readonly sendAll = new Set<Spid>();
  /** Held mass deletions: nothing is planned for a held record on its device. */
  holds = new HoldSet();
  private readonly luidIndex = new PerDevice<Luid, Guid>();
  /** Records this run put in the truth, indexed for the detector only when asked; once
   *  built, the records changed since are re-indexed at the next look-up. */
  private newIndex: DuplicateIndex<Guid> | null = null;
  private readonly unindexed = new Set<Guid>();
  // The DSS does not change while a run plans: its reads are cached for the plan's life.
  private readonly truthCache = new Map<Guid, TruthRecord | undefined>();
  private readonly mapCache = new PerDevice<Guid, MapEntry | undefined>();
  private readonly pendingCache = new PerDevice<Guid, PendingAction | undefined>();
  private readonly rowsCache = new Map<Spid, boolean>();
  /** The DSS's entries by LUID, read in bulk for what a device reported (null: none). */
  private readonly luidCache = new PerDevice<Luid, MapEntry | null>();
  /** Data elements of the contacts compared while planning (the plan's contacts do not
   *  change while it lives). */
  private readonly elements = new Map<Contact, Elements>();
  private readonly parsed = new Map<string, Contact>();
  private seq: number;
  private readonly firstNewSeq: number;

  constructor(
    readonly base: DssView,
    readonly runId = 0,
  ) {
    this.seq = base.nextSeq();
    this.firstNewSeq = this.seq;
  }

  // ---- reads -------------------------------------------------------------------------
  truth(guid: Guid): TruthRecord | undefined {
    if (this.truthDeletes.has(guid)) return undefined;
    return this.truthPuts.get(guid) ?? this.baseTruth(guid);
  }

  /** Whether this run made the record. */
  isNew(guid: Guid): boolean {
    const r = this.truthPuts.get(guid);
    return r !== undefined && r.seq >= this.firstNewSeq;
  }

  /** The DSS's version of a record, before this run. */
  baseTruth(guid: Guid): TruthRecord | undefined {
    if (this.truthCache.has(guid)) return this.truthCache.get(guid);
    const r = this.base.truth(guid);
    this.truthCache.set(guid, r);
    return r;
  }

  hasRows(spid: Spid): boolean {
    let r = this.rowsCache.get(spid);
    if (r === undefined) {
      r = this.base.hasRows(spid);
      this.rowsCache.set(spid, r);
    }
    return r;
  }

  /** Whether the DSS held no map entry of the device when this run began, or the run
   *  forgot them all (lost sync state). */
  startedEmpty(spid: Spid): boolean {
    return this.forgotten.has(spid) || !this.hasRows(spid);
  }

  *truthIndex(): Iterable<{ guid: Guid; seq: number }> {
    for (const e of this.base.truthIndex()) if (!this.truthDeletes.has(e.guid)) yield e;
    // Records made in this run have sequence numbers from firstNewSeq on.
    const added = [...this.truthPuts.values()].filter((r) => r.seq >= this.firstNewSeq).sort((a, b) => a.seq - b.seq);
    for (const r of added) yield { guid: r.guid, seq: r.seq };
  }

  rowsOf(spid: Spid, guids: readonly Guid[]): { maps: MapEntry[]; pending: PendingAction[] } {
    return this.base.rowsOf(spid, guids);
  }

  /** Reads the DSS's rows of many records on a device at once, so that planning them costs
   *  two queries instead of two per record. */
  prefetch(spid: Spid, guids: readonly Guid[]): void {
    if (!this.hasRows(spid) || this.forgotten.has(spid)) return;
    // (A record this run made has no rows in the DSS.)
    const todo = guids.filter((g) => !this.isNew(g) && (!this.mapCache.has(spid, g) || !this.pendingCache.has(spid, g)));
    if (todo.length < 16) return;
    const { maps, pending } = this.base.rowsOf(spid, todo, this.parsed);
    for (const g of todo) {
      this.mapCache.set(spid, g, undefined);
      this.pendingCache.set(spid, g, undefined);
    }
    for (const m of maps) this.mapCache.set(spid, m.guid, m);
    for (const a of pending) this.pendingCache.set(spid, a.guid, a);
  }

  mapOf(spid: Spid, guid: Guid): MapEntry | undefined {
    const own = this.maps.of(spid);
    if (own?.has(guid)) return own.get(guid) ?? undefined;
    if (this.forgotten.has(spid) || !this.hasRows(spid) || this.isNew(guid)) return undefined;
    const cache = this.mapCache.of(spid);
    if (cache?.has(guid)) return cache.get(guid);
    const m = this.base.mapOf(spid, guid);
    this.mapCache.set(spid, guid, m);
    return m;
  }

  mapByLuid(spid: Spid, luid: Luid): MapEntry | undefined {
    const g = this.luidIndex.get(spid, luid);
    if (g !== undefined) {
      const m = this.mapOf(spid, g);
      if (m && m.luid === luid) return m;
    }
    if (this.forgotten.has(spid) || !this.hasRows(spid)) return undefined;
    const cached = this.luidCache.get(spid, luid);
    const m = cached === undefined ? this.base.mapByLuid(spid, luid) : (cached ?? undefined);
    if (!m) return undefined;
    // The base entry counts only if the overlay did not replace or remove it.
    const now = this.mapOf(spid, m.guid);
    return now && now.luid === luid ? now : undefined;
  }

  mapsByLuid(spid: Spid, luids: readonly Luid[]): MapEntry[] {
    return luids.map((l) => this.mapByLuid(spid, l)).filter((m): m is MapEntry => m !== undefined);
  }

  /** Reads the DSS's entries of many LUIDs a device reported, in one query. */
  prefetchLuids(spid: Spid, luids: readonly Luid[]): void {
    if (luids.length < 16 || this.forgotten.has(spid) || !this.hasRows(spid)) return;
    const todo = luids.filter((l) => !this.luidCache.has(spid, l));
    for (const l of todo) this.luidCache.set(spid, l, null);
    for (const m of this.base.mapsByLuid(spid, todo, this.parsed)) {
      this.luidCache.set(spid, m.luid, m);
      if (!this.mapCache.has(spid, m.guid)) this.mapCache.set(spid, m.guid, m);
    }
  }

  /** equalContacts, with each contact's elements worked out once per plan. */
  sameContact(a: Contact, b: Contact): boolean {
    if (a === b) return true;
    const ea = this.elementsOf(a);
    const eb = this.elementsOf(b);
    if (ea.size !== eb.size) return false;
    for (const [k, v] of ea) if (eb.get(k) !== v) return false;
    return true;
  }

  private elementsOf(c: Contact): Elements {
    let e = this.elements.get(c);
    if (!e) this.elements.set(c, (e = toElements(c)));
    return e;
  }

  mapsOf(spid: Spid): MapEntry[] {
    const out = new Map<Guid, MapEntry>();
    if (!this.forgotten.has(spid) && this.hasRows(spid)) for (const m of this.base.mapsOf(spid)) out.set(m.guid, m);
    for (const [g, m] of this.maps.of(spid) ?? []) {
      if (m) out.set(g, m);
      else out.delete(g);
    }
    return [...out.values()];
  }

  pending(spid: Spid, guid: Guid): PendingAction | undefined {
    const a = this.setPendingOf(spid, guid);
    if (a || !this.sendAll.has(spid)) return a;
    return this.lackedAdd(spid, guid);
  }

  /** The action set in this run or stored, without those sendAll stands for. */
  private setPendingOf(spid: Spid, guid: Guid): PendingAction | undefined {
    const own = this.actions.of(spid);
    if (own?.has(guid)) return own.get(guid) ?? undefined;
    if (!this.hasRows(spid) || this.isNew(guid)) return undefined;
    const cache = this.pendingCache.of(spid);
    if (cache?.has(guid)) return cache.get(guid);
    const a = this.base.pending(spid, guid);
    this.pendingCache.set(spid, guid, a);
    return a;
  }

  /** The ADD sendAll stands for, when the device lacks the record. */
  private lackedAdd(spid: Spid, guid: Guid): PendingAction | undefined {
    const rec = this.truth(guid);
    return rec && !this.mapOf(spid, guid) && !this.holds.has(spid, guid) ? { spid, guid, action: 'ADD', seq: rec.seq, run: this.runId } : undefined;
  }

  pendingOf(spid: Spid): PendingAction[] {
    const out = new Map<Guid, PendingAction>();
    if (this.hasRows(spid)) for (const a of this.base.pendingOf(spid)) out.set(a.guid, a);
    for (const [g, a] of this.actions.of(spid) ?? []) {
      if (a) out.set(g, a);
      else out.delete(g);
    }
    if (this.sendAll.has(spid)) {
      for (const { guid, seq } of this.truthIndex()) {
        if (!out.has(guid) && !this.mapOf(spid, guid) && !this.holds.has(spid, guid)) out.set(guid, { spid, guid, action: 'ADD', seq, run: this.runId });
      }
    }
    return [...out.values()];
  }

  /** `known`: the DSS's rows of every one of these keys, read before in one go (see
   *  keyRows); the look-up then costs no query. */
  candidates(keys: readonly string[], namePrefix?: string, known?: ReadonlyMap<string, readonly Guid[]>): Guid[] {
    // The DSS keeps its detector keys with the truth; a record this run changed is
    // re-checked by the caller against its new version.
    const found = known && !namePrefix ? candidatesOf(keys, (k) => known.get(k) ?? []) : this.base.candidates(keys, namePrefix);
    return this.truthDeletes.size === 0 ? found : found.filter((g) => !this.truthDeletes.has(g));
  }

  keyRows(keys: readonly string[]): Map<string, Guid[]> {
    return this.base.keyRows(keys);
  }

  keysPresent(keys: readonly string[]): Set<string> {
    return this.base.keysPresent(keys);
  }

  keyPairs(pairs: readonly (readonly [string, Guid])[]): [string, Guid][] {
    return this.base.keyPairs(pairs);
  }

  /** Records this run added or changed that match `c` (the DSS's index does not know
   *  them yet). */
  newCandidates(c: Contact): Guid[] {
    if (this.truthPuts.size === 0) return [];
    if (!this.newIndex) {
      this.newIndex = new DuplicateIndex<Guid>();
      for (const [g, r] of this.truthPuts) this.newIndex.add(g, r.contact);
      this.unindexed.clear();
    }
    const index = this.newIndex;
    for (const g of this.unindexed) {
      index.remove(g);
      const r = this.truthPuts.get(g);
      if (r) index.add(g, r.contact);
    }
    this.unindexed.clear();
    return index.find(c).filter((g) => this.truth(g) !== undefined);
  }

  nextSeq(): number {
    return this.seq;
  }

  tombstone(guid: Guid): Tombstone | undefined {
    return this.tombstones.get(guid) ?? this.base.tombstone(guid);
  }

  // ---- writes ------------------------------------------------------------------------
  putTruth(r: TruthRecord): void {
    this.truthDeletes.delete(r.guid);
    this.truthPuts.set(r.guid, r);
    if (this.newIndex) this.unindexed.add(r.guid);
    if (r.seq >= this.seq) this.seq = r.seq + 1;
  }

  deleteTruth(guid: Guid, by: Spid): void {
    const last = this.truth(guid);
    if (last) this.tombstones.set(guid, { spid: by, contact: last.contact });
    this.truthPuts.delete(guid);
    this.newIndex?.remove(guid);
    this.unindexed.delete(guid);
    this.truthDeletes.add(guid);
  }

  allocateSeq(): number {
    return this.seq++;
  }

  putMap(m: Omit<MapEntry, 'run'> & { run?: number }): void {
    // Another record mapped to the same LUID on this device loses that mapping.
    const other = this.mapByLuid(m.spid, m.luid);
    if (other && other.guid !== m.guid) this.maps.set(m.spid, other.guid, null);
    // Built field by field: a spread gives every entry a hidden class of its own in V8
    // (two objects more per record, ~40 MB on a first sync of 100,000).
    const entry: MapEntry = { spid: m.spid, guid: m.guid, luid: m.luid, base: m.base, run: m.run ?? this.runId, sent: m.sent ?? null };
    this.maps.set(m.spid, m.guid, entry);
    this.luidIndex.set(m.spid, m.luid, m.guid);
  }

  deleteMap(spid: Spid, guid: Guid): void {
    this.maps.set(spid, guid, null);
  }

  forgetMaps(spid: Spid): void {
    this.maps.forget(spid);
    this.forgotten.add(spid);
  }

  setPending(spid: Spid, guid: Guid, a: PendingAction | null): void {
    this.actions.set(spid, guid, a);
  }

  /** From here on, the device is to get every truth record it lacks (it lost its sync
   *  state). One ADD object per record would cost a first sync of a new device with a
   *  large truth more than the rest of its plan; the commit writes them in one statement,
   *  and pending/pendingOf read them as if set. Planned last: nothing is decided after it. */
  sendAllLacking(spid: Spid): void {
    this.sendAll.add(spid);
  }

  /** Whether this run changed anything planAction reads of this record on this device:
   *  the record, or the device's map entry or action of it. */
  changedFor(spid: Spid, guid: Guid): boolean {
    return this.truthPuts.has(guid) || this.truthDeletes.has(guid) || this.maps.has(spid, guid) || this.actions.has(spid, guid) || this.forgotten.has(spid);
  }
}
