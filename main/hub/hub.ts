// The sync manager: owns the DSS, knows which sync points are online, runs one sync at a
// time, and carries the hub's own editor. See docs/hub-api.md for how the rest of the app uses it.
import { randomFillSync, randomUUID } from 'node:crypto';
import path from 'node:path';
import { contactOf, flat, type Contact } from '../core/contact';
import type { Capacity } from '../core/projection';
import { EDITOR_SPID, type ChangeTracking, type Spid } from '../core/types';
import { validateContact } from '../core/validate';
import { Dss } from '../dss/store';
import { runSync, type CrashPoint } from './run';
import { undosOf } from '../dss/undos';
import { historyOf, MIN_RETENTION_DAYS, RETENTION_PREF, type DeletedRecord, type HistoryEntry } from '../dss/history';
import { restoreBackup, restoreDeleted, restorePreview, undoPreview, undoRun, type RestorePreview, type UndoPreview } from './safety';
import { BACKUP_KEEP_PREF, backupTo, dailyBackup } from '../dss/backup';
import { approveHolds, guardRule, heldByDevice, keepHolds, setGuardRule, type HeldDevice } from '../dss/holds';
import type { GuardRule } from '../core/holds';
import type { SyncPoint } from './sync-point';
import type {
  ConflictEntry,
  ContactRow,
  DeviceKind,
  DeviceLink,
  DeviceRecord,
  DeviceStatus,
  PendingItem,
  RunSummary,
  SyncProgress,
} from './types';

export interface HubOptions {
  /** The hub's data folder; the DSS is `concord.sqlite` in it. */
  dataDir: string;
  /** Default region for phone numbers, when the DSS has none yet. */
  region?: string;
  now?: () => number;
  newGuid?: () => string;
  /** Start a run by itself after an edit in the editor (the app does; tests do not). */
  autoReconcileEdits?: boolean;
}

export type HubChange = 'contacts' | 'devices' | 'conflicts' | 'history' | 'settings';

export interface PairRequest {
  spid?: Spid;
  name: string;
  kind: DeviceKind;
  link: DeviceLink;
  changeTracking: ChangeTracking;
  capacity?: Capacity;
  priority?: number;
  autoSync?: boolean;
  config?: Record<string, unknown>;
  /** The hub can read the device but never write to it (a phone read over PBAP, an
   *  exported file): it must be a snapshot device. */
  readOnly?: boolean;
}

/** A UUID version 7: time-ordered, so a first sync's 100,000 new records go into the DSS's
 *  B-trees in order instead of at random pages. */
let lastMs = 0;
let counter = 0;
export function timeOrderedGuid(): string {
  const ms = Date.now();
  if (ms === lastMs) counter += 1;
  else {
    counter = 0;
    lastMs = ms;
    msHex = ms.toString(16).padStart(12, '0');
  }
  // UUID v7: 48 bits of milliseconds, the version, 12 bits of counter, the variant and 62
  // random bits (from a pool filled 4 KiB at a time: a first sync makes 100,000 of these).
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = (i: number) => HEX[pool[poolAt + i]!]!;
  const variant = HEX[(pool[poolAt]! & 0x3f) | 0x80]!;
  const tail = r(2) + r(3) + r(4) + r(5) + r(6) + r(7);
  const out = `${msHex.slice(0, 8)}-${msHex.slice(8, 12)}-7${(counter & 0xfff).toString(16).padStart(3, '0')}-${variant}${r(1)}-${tail}`;
  poolAt += 8;
  return flat(out);
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(4096);
let poolAt = pool.length;
let msHex = '';

/** How long the hub waits after a run before copying the WAL into the database file. */
const CHECKPOINT_AFTER_MS = 1000;

export class HubError extends Error {
  constructor(
    readonly code: 'not-found' | 'invalid' | 'busy' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

type Listener<T> = (value: T) => void;

export class Hub {
  readonly dss: Dss;
  private readonly now: () => number;
  private readonly newGuid: () => string;
  private readonly online = new Map<Spid, SyncPoint>();
  private readonly progressListeners = new Set<Listener<SyncProgress>>();
  private readonly changeListeners = new Set<Listener<HubChange>>();
  private current: Promise<RunSummary> | null = null;
  private next: { spids: Set<Spid> | 'all'; promise: Promise<RunSummary> } | null = null;
  private closed = false;
  private stopping = false;
  private editTimer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** A crash to simulate in the next run (the scenario runner's `hubCrash`). */
  crashNextRun: CrashPoint | undefined;

  private constructor(dss: Dss, private readonly opts: HubOptions) {
    this.dss = dss;
    this.now = opts.now ?? Date.now;
    this.newGuid = opts.newGuid ?? timeOrderedGuid;
    if (!dss.pref('region')) dss.setPref('region', (opts.region ?? 'GB').toUpperCase());
    this.scheduleBackups();
    if (!dss.device(EDITOR_SPID)) {
      dss.putDevice({
        spid: EDITOR_SPID,
        name: 'Concord (this computer)',
        kind: 'editor',
        link: 'none',
        changeTracking: 'log',
        capacity: {},
        priority: 0,
        autoSync: false,
        config: {},
        createdAt: this.now(),
        lastSyncAt: null,
        lastOutcome: null,
        lostState: false,
        readOnly: false,
      });
    }
  }

  static open(opts: HubOptions): Hub {
    return new Hub(Dss.open(path.join(opts.dataDir, 'concord.sqlite')), opts);
  }

  /** Stops at the next acknowledgement of a run in progress, then closes the DSS. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    await this.stopBackups();
    if (this.editTimer) clearTimeout(this.editTimer);
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    try {
      await this.next?.promise;
      await this.current;
    } catch {
      // the run's failure is in its history already
    }
    this.closed = true;
    this.dss.close();
  }

  // ---- events --------------------------------------------------------------------------
  on(event: 'progress', fn: Listener<SyncProgress>): () => void;
  on(event: 'changed', fn: Listener<HubChange>): () => void;
  on(event: 'progress' | 'changed', fn: Listener<SyncProgress> | Listener<HubChange>): () => void {
    const set = (event === 'progress' ? this.progressListeners : this.changeListeners) as Set<unknown>;
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit(p: SyncProgress): void {
    for (const fn of this.progressListeners) fn(p);
  }

  private changed(what: HubChange): void {
    for (const fn of this.changeListeners) fn(what);
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError('closed', 'The hub is closed.');
  }

  // ---- devices ---------------------------------------------------------------------------
  pairDevice(req: PairRequest): DeviceRecord {
    this.assertOpen();
    const spid = req.spid ?? randomUUID();
    if (spid === EDITOR_SPID) throw new HubError('invalid', `"${EDITOR_SPID}" is the hub's own editor.`);
    const existing = this.dss.device(spid);
    const readOnly = req.readOnly ?? existing?.readOnly ?? false;
    // A device the hub cannot write to only lists what it holds: the hub derives its states.
    if (readOnly && req.changeTracking !== 'snapshot') throw new HubError('invalid', `A read-only device must be a snapshot device (it lists what it holds); ${req.name} reports a change log.`);
    const lowest = Math.max(0, ...this.dss.devices().map((d) => d.priority));
    const d: DeviceRecord = {
      spid,
      name: req.name,
      kind: req.kind,
      link: req.link,
      changeTracking: req.changeTracking,
      capacity: req.capacity ?? {},
      priority: req.priority ?? existing?.priority ?? lowest + 1,
      autoSync: req.autoSync ?? existing?.autoSync ?? false,
      config: { ...(existing?.config ?? {}), ...(req.config ?? {}) },
      createdAt: existing?.createdAt ?? this.now(),
      lastSyncAt: existing?.lastSyncAt ?? null,
      lastOutcome: existing?.lastOutcome ?? null,
      // A new device is sent everything it lacks at its first sync.
      lostState: existing?.lostState ?? true,
      readOnly,
    };
    this.dss.putDevice(d);
    this.changed('devices');
    return d;
  }

  private mustDevice(spid: Spid): DeviceRecord {
    const d = this.dss.device(spid);
    if (!d) throw new HubError('not-found', `No device ${spid} is paired.`);
    return d;
  }

  forgetDevice(spid: Spid): void {
    if (spid === EDITOR_SPID) throw new HubError('invalid', 'The hub\'s own editor cannot be forgotten.');
    this.mustDevice(spid);
    if (this.current) throw new HubError('busy', 'A sync is running; forget the device when it has finished.');
    this.online.delete(spid);
    this.dss.deleteDevice(spid);
    this.changed('devices');
  }

  renameDevice(spid: Spid, name: string): void {
    const d = this.mustDevice(spid);
    this.dss.putDevice({ ...d, name });
    this.changed('devices');
  }

  setAutoSync(spid: Spid, on: boolean): void {
    const d = this.mustDevice(spid);
    this.dss.putDevice({ ...d, autoSync: on });
    this.changed('devices');
  }

  updateDeviceConfig(spid: Spid, config: Record<string, unknown>): void {
    const d = this.mustDevice(spid);
    this.dss.putDevice({ ...d, config: { ...d.config, ...config } });
  }

  /** The full order of sync points, the editor included, highest priority first. */
  setPriorities(order: readonly Spid[]): void {
    const all = this.dss.devices().map((d) => d.spid);
    const known = new Set(all);
    if (order.some((s) => !known.has(s)) || new Set(order).size !== order.length) {
      throw new HubError('invalid', 'The priority order must list each paired device once.');
    }
    const rest = all.filter((s) => !order.includes(s));
    this.dss.setPriorities([...order, ...rest]);
    this.changed('devices');
  }

  devices(): DeviceStatus[] {
    return this.dss.devices().map((d) => ({ ...d, online: d.spid === EDITOR_SPID || this.online.has(d.spid), pending: this.dss.pendingSummary(d.spid) }));
  }

  device(spid: Spid): DeviceRecord | undefined {
    return this.dss.device(spid);
  }

  attach(point: SyncPoint): void {
    const d = this.mustDevice(point.spid);
    // A device that says it cannot be written to is read-only, whatever it was paired as
    // (a read-only device is always a snapshot device).
    if (point.readOnly === true && !d.readOnly) {
      if (d.changeTracking !== 'snapshot' || point.changeTracking !== 'snapshot') throw new HubError('invalid', `${d.name} cannot be written to, so it must be paired as a snapshot device.`);
      this.dss.putDevice({ ...d, readOnly: true });
    }
    this.online.set(point.spid, point);
    this.changed('devices');
  }

  detach(spid: Spid): void {
    if (this.online.delete(spid)) this.changed('devices');
  }

  isOnline(spid: Spid): boolean {
    return this.online.has(spid);
  }

  pendingOf(spid: Spid): PendingItem[] {
    return this.dss.pendingDetails(spid).map((r) => {
      const c = JSON.parse(r.contact ?? r.base ?? 'null') as Contact | null;
      return { guid: r.guid, action: r.action, name: c ? c.fn || c.n.join(' ') || c.tel[0]?.value || '' : '', since: r.since };
    });
  }

  // ---- runs ----------------------------------------------------------------------------------
  running(): boolean {
    return this.current !== null;
  }

  /** One run with the given devices online (default: every attached one). A call during a
   *  run waits for it and joins the next one. */
  sync(spids?: readonly Spid[]): Promise<RunSummary> {
    this.assertOpen();
    if (!this.current) return this.start(spids ? new Set(spids) : 'all');
    if (this.next) {
      if (this.next.spids !== 'all') {
        if (!spids) this.next.spids = 'all';
        else for (const s of spids) this.next.spids.add(s);
      }
      return this.next.promise;
    }
    const entry: { spids: Set<Spid> | 'all'; promise: Promise<RunSummary> } = { spids: spids ? new Set(spids) : 'all', promise: Promise.resolve(null as unknown as RunSummary) };
    entry.promise = this.current
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.start(entry.spids);
      });
    this.next = entry;
    return entry.promise;
  }

  private start(spids: Set<Spid> | 'all'): Promise<RunSummary> {
    const order = this.dss
      .devices()
      .map((d) => d.spid)
      // Every attached device; or the ones asked for, attached or not (one that is not is
      // reported as not connected rather than silently left out).
      .filter((s) => s !== EDITOR_SPID && (spids === 'all' ? this.online.has(s) : spids.has(s)));
    // The push order is the caller's order where it gave one.
    if (spids !== 'all') order.sort((a, b) => [...spids].indexOf(a) - [...spids].indexOf(b));
    const crash = this.crashNextRun;
    this.crashNextRun = undefined;
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.dss.holdCheckpoints();
    const run = runSync(
      {
        dss: this.dss,
        region: this.region(),
        now: this.now,
        newGuid: this.newGuid,
        emit: (p) => this.emit(p),
        crash,
        stopRequested: () => this.stopping,
      },
      this.online,
      order,
    );
    this.current = run.finally(() => {
      this.current = null;
      // The WAL is copied into the database file when the hub has been idle a moment.
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = null;
        if (!this.closed && !this.current) this.dss.checkpoint();
      }, CHECKPOINT_AFTER_MS);
      this.checkpointTimer.unref?.();
      this.changed('contacts');
      this.changed('devices');
      this.changed('conflicts');
      this.changed('history');
    });
    return this.current;
  }

  history(limit = 50): RunSummary[] {
    return this.dss.runs(limit);
  }

  // ---- contacts and the editor ---------------------------------------------------------------
  contacts(): ContactRow[] {
    return this.dss.allTruth().map((r) => ({ guid: r.guid, contact: r.contact, updatedAt: r.updatedAt }));
  }

  /** A contact as the editor shows it: with the user's edits not yet reconciled. */
  contact(guid: string): ContactRow | undefined {
    const queued = this.dss.queuedVersion(guid);
    if (queued === null) return undefined;
    const contact = queued ?? this.dss.truth(guid)?.contact;
    return contact ? { guid, contact, updatedAt: this.now() } : undefined;
  }

  readonly editor = {
    add: (contact: Partial<Contact>): string => {
      const c = this.validEdit(contact);
      const guid = this.newGuid();
      this.dss.queueEdit({ kind: 'add', id: guid, data: c }, this.now());
      this.edited();
      return guid;
    },
    update: (guid: string, contact: Partial<Contact>): void => {
      const c = this.validEdit(contact);
      const base = this.dss.truth(guid)?.contact ?? this.dss.queuedVersion(guid);
      if (!base || this.dss.queuedVersion(guid) === null) throw new HubError('not-found', 'That contact no longer exists.');
      this.dss.queueEdit({ kind: 'update', guid, data: c, base }, this.now());
      this.edited();
    },
    delete: (guid: string): void => {
      const base = this.dss.truth(guid)?.contact ?? this.dss.queuedVersion(guid);
      if (!base || this.dss.queuedVersion(guid) === null) throw new HubError('not-found', 'That contact no longer exists.');
      this.dss.queueEdit({ kind: 'delete', guid, base }, this.now());
      this.edited();
    },
  };

  private validEdit(contact: Partial<Contact>): Contact {
    this.assertOpen();
    const v = validateContact(contact);
    if (!v.ok) throw new HubError('invalid', v.reason);
    return contactOf(v.contact);
  }

  /** Edits are reconciled at the next run; the app starts one shortly after the last edit. */
  private edited(): void {
    this.changed('contacts');
    if (!this.opts.autoReconcileEdits) return;
    if (this.editTimer) clearTimeout(this.editTimer);
    this.editTimer = setTimeout(() => {
      this.editTimer = null;
      if (!this.closed && !this.stopping) void this.sync([]).catch(() => undefined);
    }, 150);
  }

  // ---- conflicts -----------------------------------------------------------------------------
  conflicts(limit = 500): ConflictEntry[] {
    return this.dss.conflicts(limit);
  }

  /** "Use this version": an ordinary edit that then syncs everywhere. */
  useConflictVersion(conflictId: number, spid: Spid): void {
    const c = this.dss.conflict(conflictId);
    if (!c) throw new HubError('not-found', 'No such conflict.');
    const v = c.versions.find((x) => x.spid === spid);
    if (!v) throw new HubError('not-found', `The conflict has no version from ${spid}.`);
    const rec = this.dss.truth(c.guid);
    if (v.contact === null) {
      if (rec) this.editor.delete(c.guid);
    } else if (rec) {
      this.editor.update(c.guid, v.contact);
    } else {
      this.editor.add(v.contact);
    }
    this.dss.markConflictResolved(conflictId, this.now());
    this.changed('conflicts');
  }

  // ---- settings ------------------------------------------------------------------------------
  region(): string {
    return this.dss.pref('region') ?? 'GB';
  }

  setRegion(region: string): void {
    if (!/^[A-Za-z]{2}$/.test(region)) throw new HubError('invalid', 'A region is a two-letter country code such as GB or DE.');
    this.dss.setPref('region', region.toUpperCase());
    this.changed('settings');
  }

  // ---- the safety net: history, undo, recently deleted (sync-method.md) ---------------------
  /** Every version of one contact, oldest first. */
  contactHistory(guid: string): HistoryEntry[] {
    return historyOf(this.dss.db).of(guid);
  }

  /** What a run changed in the truth. */
  runChanges(runId: number): HistoryEntry[] {
    return historyOf(this.dss.db).ofRun(runId);
  }

  private safety() {
    this.assertOpen();
    return { dss: this.dss, now: this.now, newGuid: this.newGuid };
  }

  private mustRun(runId: number): void {
    if (!Number.isInteger(runId) || runId < 1 || runId > historyOf(this.dss.db).lastRunId()) throw new HubError('not-found', `No sync ${runId} in the history.`);
  }

  /** What "Undo this sync" will change, and what it leaves alone because it changed since. */
  undoPreview(runId: number): UndoPreview {
    this.mustRun(runId);
    return undoPreview(this.safety(), runId);
  }

  /** Undoes a run: one batch of editor edits, reconciled at the next run. */
  undoRun(runId: number): UndoPreview {
    this.mustRun(runId);
    const p = undoRun(this.safety(), runId);
    this.changed('history');
    this.edited();
    return p;
  }

  /** The runs whose undo this run carried out (undoing it undoes those undos). */
  runUndid(runId: number): number[] {
    return undosOf(this.dss.db).undidBy(runId);
  }

  /** When the user undid a run, if they did. */
  runUndoneAt(runId: number): number | null {
    return historyOf(this.dss.db).undoneAt(runId);
  }

  // ---- backups ----------------------------------------------------------------------------
  private backupTimer: NodeJS.Timeout | null = null;
  private backingUp: Promise<unknown> | null = null;

  /** The daily backup: checked a minute after the hub opens, then every hour. */
  private scheduleBackups(): void {
    const check = () => {
      if (this.closed || this.stopping || this.backingUp || !this.dss.db.open) return;
      // (History older than a retention the user set goes at the same check.)
      historyOf(this.dss.db).prune(this.now());
      this.backingUp = dailyBackup(this.dss.db, this.dbFile(), this.now())
        .catch(() => undefined)
        .finally(() => (this.backingUp = null));
    };
    // History written by a run is indexed by record a moment after it, off the run's path.
    this.on('changed', (k) => {
      if (k !== 'history') return;
      const t = setTimeout(() => {
        // (A DSS closed under the hub, as the scenario runner's restart does, is left alone.)
        if (!this.closed && !this.stopping && !this.current && this.dss.db.open) historyOf(this.dss.db).catchUp();
      }, 2000);
      t.unref?.();
    });
    this.backupTimer = setTimeout(() => {
      check();
      this.backupTimer = setInterval(check, 60 * 60 * 1000);
      this.backupTimer.unref?.();
    }, 60 * 1000);
    this.backupTimer.unref?.();
  }

  private async stopBackups(): Promise<void> {
    if (this.backupTimer) clearTimeout(this.backupTimer);
    this.backupTimer = null;
    await this.backingUp;
  }

  private dbFile(): string {
    return path.join(this.opts.dataDir, 'concord.sqlite');
  }

  /** How many daily backups are kept. */
  setBackupKeep(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new HubError('invalid', 'Keep at least one backup.');
    this.dss.setPref(BACKUP_KEEP_PREF, String(n));
    this.changed('settings');
  }

  /** History is kept forever (null) or this many days, never fewer than 30. */
  setHistoryRetention(days: number | null): void {
    if (days !== null && (!Number.isInteger(days) || days < MIN_RETENTION_DAYS)) throw new HubError('invalid', `History is kept at least ${MIN_RETENTION_DAYS} days.`);
    this.dss.setPref(RETENTION_PREF, days === null ? 'forever' : String(days));
    this.changed('settings');
  }

  historyRetention(): number | null {
    return historyOf(this.dss.db).retentionDays();
  }

  /** A copy of the DSS now (SQLite's online backup); default: the data folder's backups. */
  async backup(file?: string): Promise<string> {
    this.assertOpen();
    const target = file ?? path.join(path.dirname(this.dbFile()), 'backups', `concord-${new Date(this.now()).toISOString().replace(/[-:]/g, '').slice(0, 15)}.sqlite`);
    return backupTo(this.dss.db, target);
  }

  /** What restoring a backup would change. */
  restoreBackupPreview(file: string): RestorePreview {
    try {
      return restorePreview(this.safety(), file);
    } catch (e) {
      if (e instanceof HubError) throw e;
      throw new HubError('invalid', (e as Error).message);
    }
  }

  /** Makes the contacts equal to a backup's, as editor edits reconciled at the next run. */
  restoreBackup(file: string): RestorePreview {
    let p: RestorePreview;
    try {
      p = restoreBackup(this.safety(), file);
    } catch (e) {
      throw new HubError('invalid', (e as Error).message);
    }
    this.edited();
    return p;
  }

  // ---- held mass deletions --------------------------------------------------------------------
  /** The deletions held per device ("Your phone deleted 212 contacts. Nothing was deleted
   *  elsewhere."). */
  holds(): HeldDevice[] {
    return heldByDevice(this.dss.db);
  }

  /** "Delete them everywhere": queued, reconciled at the next run as that device's
   *  deletions (a record edited elsewhere meanwhile is a delete-against-update conflict). */
  approveHolds(spid: string): number {
    this.assertOpen();
    const n = approveHolds(this.dss.db, spid, this.now());
    if (n === 0 && !this.holds().some((h) => h.spid === spid)) throw new HubError('not-found', `No deletions from ${spid} are held.`);
    this.changed('contacts');
    this.edited();
    return n;
  }

  /** "Keep them": at once; the device gets them back at its next sync. */
  keepHolds(spid: string): number {
    this.assertOpen();
    const n = keepHolds(this.dss.db, spid, this.now());
    if (n === 0) throw new HubError('not-found', `No deletions from ${spid} are held.`);
    this.changed('devices');
    return n;
  }

  /** The mass-deletion guard (null: off). */
  guard(): GuardRule | null {
    return guardRule(this.dss.db);
  }

  setGuard(rule: GuardRule | null): void {
    if (rule && (!Number.isInteger(rule.deletes) || rule.deletes < 0 || (rule.share !== null && !(rule.share >= 0 && rule.share <= 1)))) {
      throw new HubError('invalid', 'The guard holds more than N deletions (a whole number), and more than a share of the contacts between 0 and 1.');
    }
    setGuardRule(this.dss.db, rule);
    this.changed('settings');
  }

  recentlyDeleted(limit = 1000): DeletedRecord[] {
    return historyOf(this.dss.db).recentlyDeleted(this.now(), limit);
  }

  /** Restores a deleted contact (its full last version, under a new GUID); returns the
   *  new GUID. A contact can be restored once. */
  restoreContact(guid: string): string {
    const id = restoreDeleted(this.safety(), guid);
    if (!id) throw new HubError('not-found', 'That contact is not in "Recently deleted" (it may have been restored already).');
    this.edited();
    return id;
  }
}
