// The one typed contract between the UI and the hub (style.md, "The UI contract"). Every
// request and every event is declared here once; both transports (Electron IPC through the
// preload, and the WebSocket of the headless hub) carry exactly these shapes, so the
// renderer cannot tell which one it talks to. Channel names are `domain:verb`.
//
// This file holds types and two constant lists only: the renderer imports it with
// `import type`, the preload bundles the lists.
import type { Contact } from '../core/contact';
import type { Guid, Spid } from '../core/types';
import type { ConflictEntry, ContactRow, DeviceLink, DeviceStatus, PendingItem, RunSummary, SyncProgress } from '../hub/types';
import type { DeletedRecord, HeldDevice, HistoryEntry, UndoPreview } from '../hub/safety';

export type { DeletedRecord, HeldDevice, HistoryEntry, HistoryKind, UndoChange, UndoPreview } from '../hub/safety';

export type { Contact, TypedValue } from '../core/contact';
export type { Guid, Spid, ActionKind } from '../core/types';
export type {
  ConflictElement,
  ConflictEntry,
  ConflictVersion,
  ContactRow,
  DeviceKind,
  DeviceLink,
  DeviceStatus,
  PendingItem,
  RunCounts,
  RunOutcome,
  RunSummary,
  SyncProgress,
} from '../hub/types';

export type ErrorCode =
  /** The message or its arguments do not have the declared shape. */
  | 'bad-request'
  /** No such channel. */
  | 'unknown-channel'
  | 'not-found'
  /** Well-formed but refused by the hub (e.g. an empty contact). */
  | 'invalid'
  | 'busy'
  | 'closed'
  | 'unauthorized'
  | 'too-large'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** 'invalid' contact: what is wrong, field by field (the first is in `message`). */
  problems?: FieldProblem[];
}

/** One thing wrong with one field of a contact. `field` is `fn`, `org`, `title`, `bday`,
 *  `note`, `n`, or a list field with the value's position: `tel[0]`, `email[1]`, `adr[0]`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A paired device on which a contact will not be whole (a warning: the save goes ahead). */
export interface FitWarning {
  spid: Spid;
  device: string;
  /** The field it is about, as in FieldProblem; absent for the contact as a whole. */
  field?: string;
  message: string;
}

export interface ContactCheck {
  problems: FieldProblem[];
  warnings: FitWarning[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** One line of the contacts list: enough to paint a row, nothing more (100,000 of them). */
export interface ContactSummary {
  guid: Guid;
  name: string;
  /** The first number and e-mail, as stored (E.164). */
  tel: string;
  email: string;
}

export interface ContactPage {
  /** Matches of the query (all contacts without one). */
  total: number;
  offset: number;
  rows: ContactSummary[];
}

export type ImportAction = 'add' | 'update' | 'skip';

export interface ImportItem {
  /** Position of the card in the file. */
  index: number;
  action: ImportAction;
  name: string;
  /** The existing contact an update or skip refers to. */
  guid?: Guid;
  /** In plain words: why this action (e.g. "Same as Anna Berg already in Concord"). */
  reason: string;
}

export interface ImportPreview {
  items: ImportItem[];
  counts: Record<ImportAction, number>;
  /** Cards that could not be read, in plain words. */
  errors: string[];
}

/** One edit the user made in Concord, in words ("Changed Anna Berg: phone number"). */
export interface EditNote {
  id: number;
  at: number;
  /** The contact; null for an edit of many (an import). */
  guid: Guid | null;
  text: string;
}

export interface ImportOutcome {
  added: number;
  updated: number;
  skipped: number;
}

export type VCardVersion = '2.1' | '3.0' | '4.0';

export interface ExportFile {
  filename: string;
  text: string;
  count: number;
}

export interface AppInfo {
  version: string;
  dataDir: string;
  region: string;
  demo: boolean;
  running: boolean;
  /** The SyncML URL clients on the home network sync with; null while LAN sync is off. */
  lanUrl: string | null;
}

/** A phone that was plugged in (or came in Bluetooth range) and is not paired yet: the
 *  Devices screen offers to pair it or to ignore it. */
export interface DiscoveredPhone {
  /** `imei:<IMEI>`: the same phone on any port. */
  spid: Spid;
  name: string;
  link: DeviceLink;
  port: string;
  imei: string;
  /** Phonebook storages offered (SM: the SIM card, ME: the phone's memory). */
  storages: string[];
  /** How many entries they hold together. */
  capacity: number;
}

/** A conflict as the Conflicts screen shows it: the entry the hub logged, and the version the
 *  user chose with "Use this version" (null until then: the `won` versions are in use). */
export interface ConflictView extends ConflictEntry {
  chosen: Spid | null;
}

/** The SyncML endpoint for laptops and phones on the home network. */
export interface LanSettings {
  on: boolean;
  /** The port it listens on (or will, once turned on). */
  port: number;
  /** The URL to type into a device's sync settings; null while off. */
  url: string | null;
  /** Why it could not be turned on (a port in use), in plain words; null when all is well. */
  problem: string | null;
  /** The same endpoint over HTTPS (a certificate of the hub's own); null while off or when
   *  the HTTPS port could not be opened. */
  httpsUrl: string | null;
  /** SHA-256 fingerprint of that certificate (AB:CD:…), for the user to compare with what
   *  the device shows; null while HTTPS is off. */
  fingerprint: string | null;
}

/** The mass-deletion guard (sync-method.md, "Held mass deletions"): a device's deletions in
 *  one run are held when there are more than `deletes` of them and more than `percent` % of
 *  the contacts. Off: nothing is held. */
export interface GuardSettings {
  on: boolean;
  deletes: number;
  percent: number;
}

export interface BackupInfo {
  file: string;
  at: number;
}

/** The safety net's settings: the guard, how long history is kept, the backups. */
export interface SafetySettings {
  guard: GuardSettings;
  /** Days; null: forever (the default). Never fewer than `minRetentionDays`. */
  retentionDays: number | null;
  minRetentionDays: number;
  backups: {
    /** How many automatic (daily) backups are kept. */
    keep: number;
    /** The folder they are in. */
    dir: string;
    /** The newest backup there (automatic or made with "Back up now"), if any. */
    latest: BackupInfo | null;
  };
}

export interface Settings {
  dataDir: string;
  safety: SafetySettings;
  lan: LanSettings;
  /** Whether the desktop app starts when the user logs in; null where this hub cannot say
   *  (the headless hub: it applies to the desktop app). */
  startAtLogin: boolean | null;
}

/** A device's held deletions as the UI shows them, with the words of the banner and of the
 *  notification (one wording for both: holdWords in safety.ts). */
export interface HoldView extends HeldDevice {
  /** The device's name. */
  name: string;
  /** "Your Phone deleted 212 contacts." */
  headline: string;
  /** "Nothing was deleted elsewhere." (or, once approved, when they go) */
  detail: string;
  /** What the user can do about it, for a notification. */
  action: string;
  /** The same hold keeps its key (a notification is shown once per key). */
  key: string;
}

/** A run in the Activity list: the summary, whether the user undid it, and which runs it
 *  undid (a run that reconciled "Undo this sync" of another; undoing it undoes the undo). */
export interface RunView extends RunSummary {
  undoneAt: number | null;
  undoOf: number[];
}

/** What a device that syncs on the home network needs to be told, after pairing. */
export interface LanAccount {
  spid: Spid;
  /** Which kind of account: the pairing flow shows one set of steps per kind. */
  kind: 'syncml' | 'carddav';
  /** Null only where the hub has no LAN endpoint to offer (an Api without the app). */
  url: string | null;
  user: string;
}

export type BluetoothProfile = 'serial' | 'dialup' | 'phonebook' | 'object-push';

/** A Bluetooth device paired with this computer (in the system's Bluetooth settings). */
export interface BluetoothDeviceInfo {
  address: string;
  name: string;
  kind: 'phone' | 'computer' | 'audio' | 'other';
  /** In range and connected now. */
  connected: boolean;
  profiles: BluetoothProfile[];
  /** How Concord syncs it: `serial` both ways (AT phonebook), `pbap` read-only; null: it cannot. */
  syncAs: 'serial' | 'pbap' | null;
  /** What Concord can do with it, in one sentence. */
  can: string;
  /** The sync point it is paired as, if it is. */
  spid: Spid | null;
}

export interface BluetoothStatus {
  /** False: no BlueZ (another OS, no adapter, the service stopped); `reason` says which. */
  available: boolean;
  reason: string;
  devices: BluetoothDeviceInfo[];
}

/** Every request: its arguments and the value of a successful result. */
export interface Requests {
  'app:info': { args: Record<string, never>; result: AppInfo };
  /** A new access token for the browser UI (`concord serve`): every page opened with the old
   *  one is shut out and told to open Concord again; the result is the new address. */
  'app:newToken': { args: Record<string, never>; result: { url: string } };
  'contacts:list': { args: { offset: number; limit: number; query?: string }; result: ContactPage };
  'contacts:get': { args: { guid: Guid }; result: ContactRow };
  /** Queues an add in the hub's editor; the contact appears after the next (automatic) run. */
  'contacts:add': { args: { contact: Partial<Contact> }; result: { queued: string } };
  'contacts:update': { args: { guid: Guid; contact: Partial<Contact> }; result: null };
  'contacts:delete': { args: { guid: Guid }; result: null };
  /** What saving this contact would meet: problems that refuse it, and devices it will not
   *  fit on. `guid`: the contact being edited (values it already held are not re-checked). */
  'contacts:check': { args: { contact: Partial<Contact>; guid?: Guid }; result: ContactCheck };
  'contacts:importPreview': { args: { text: string }; result: ImportPreview };
  /** `skip`: indexes of cards the user unticked in the preview. */
  'contacts:import': { args: { text: string; skip?: number[] }; result: ImportOutcome };
  'contacts:export': { args: { version: VCardVersion; guids?: Guid[] }; result: ExportFile };
  'devices:list': { args: Record<string, never>; result: DeviceStatus[] };
  'devices:pending': { args: { spid: Spid }; result: PendingItem[] };
  'devices:sync': { args: { spid: Spid }; result: RunSummary };
  'devices:rename': { args: { spid: Spid; name: string }; result: null };
  'devices:forget': { args: { spid: Spid }; result: null };
  /** The full order, the editor ('hub') included, highest priority first. */
  'devices:setPriority': { args: { order: Spid[] }; result: null };
  /** Sync the device by itself whenever it appears (a phone plugged in). */
  'devices:setAutoSync': { args: { spid: Spid; on: boolean }; result: null };
  /** Approves a SyncML client (a laptop or phone on the home network) and creates its login.
   *  The same user again re-pairs that device with a new password. */
  'devices:pairSyncml': { args: { name: string; user: string; password: string }; result: LanAccount };
  /** Pairs a CardDAV account (one address book); `url` is what to type into the client. */
  'devices:pairCarddav': { args: { name: string; user: string; password: string }; result: LanAccount };
  /** Phones connected now that are not paired. */
  'devices:discovered': { args: Record<string, never>; result: DiscoveredPhone[] };
  /** Pairs a discovered phone; with autoSync it is synced now and whenever it reappears. */
  'devices:pairPhone': { args: { spid: Spid; autoSync: boolean; name?: string }; result: { spid: Spid } };
  /** Stops offering a discovered phone (until it is plugged in again). */
  'devices:ignorePhone': { args: { spid: Spid }; result: null };
  /** The Bluetooth devices paired with this computer, and whether Bluetooth can be used. */
  'bluetooth:list': { args: Record<string, never>; result: BluetoothStatus };
  /** Pairs a Bluetooth device as a sync point (in one click); with autoSync it syncs now and
   *  whenever it comes in range. */
  'bluetooth:pair': { args: { address: string; autoSync: boolean }; result: { spid: Spid } };
  'conflicts:list': { args: { limit?: number }; result: ConflictView[] };
  'conflicts:resolve': { args: { id: number; spid: Spid }; result: null };
  'sync:run': { args: Record<string, never>; result: RunSummary };
  'sync:history': { args: { limit?: number }; result: RunView[] };
  // The safety net (sync-method.md): undo a run, recently deleted, a contact's history,
  // held mass deletions.
  /** What undoing a run would change, on which devices, and what it leaves alone. */
  'runs:undoPreview': { args: { runId: number }; result: UndoPreview };
  /** Queues the undo as editor edits; reconciled at the next (automatic) run. */
  'runs:undo': { args: { runId: number }; result: UndoPreview };
  'contacts:deleted': { args: Record<string, never>; result: DeletedRecord[] };
  /** Restores a deleted contact under a new GUID (it leaves "Recently deleted"). */
  'contacts:restore': { args: { guid: Guid }; result: { queued: Guid } };
  'contacts:history': { args: { guid: Guid }; result: HistoryEntry[] };
  'holds:list': { args: Record<string, never>; result: HoldView[] };
  /** "Delete them everywhere": reconciled at the next run. */
  'holds:approve': { args: { spid: Spid }; result: { count: number } };
  /** "Keep them": the device gets them back at its next sync. */
  'holds:keep': { args: { spid: Spid }; result: { count: number } };
  /** The user's edits in Concord, newest first. */
  'activity:edits': { args: { limit?: number }; result: EditNote[] };
  'settings:get': { args: Record<string, never>; result: Settings };
  /** Turns the SyncML endpoint on or off now, and remembers it for the next start. */
  'settings:setLan': { args: { on: boolean; port?: number }; result: Settings };
  /** The desktop app only; the headless hub refuses it in plain words. */
  'settings:setStartAtLogin': { args: { on: boolean }; result: Settings };
  /** The mass-deletion guard: on or off, and its two thresholds (kept while it is off). */
  'settings:setGuard': { args: { on: boolean; deletes: number; percent: number }; result: Settings };
  /** History kept forever (null) or this many days, never fewer than 30. */
  'settings:setRetention': { args: { days: number | null }; result: Settings };
  /** How many automatic backups are kept (1 to 365). */
  'settings:setBackupKeep': { args: { keep: number }; result: Settings };
  /** A backup now, into the backups folder. */
  'backups:now': { args: Record<string, never>; result: BackupInfo };
}

export type HubChangeKind = 'contacts' | 'devices' | 'conflicts' | 'history' | 'settings';

/** Every event the hub sends to the UI. */
export interface Events {
  'sync:progress': SyncProgress;
  'hub:changed': HubChangeKind;
  /** The phones offered for pairing changed; the full list. */
  'devices:discovered': DiscoveredPhone[];
  /** The Bluetooth devices or BlueZ's availability changed; the full status. */
  'bluetooth:changed': BluetoothStatus;
}

export type RequestName = keyof Requests;
export type EventName = keyof Events;
export type ArgsOf<K extends RequestName> = Requests[K]['args'];
export type ResultOf<K extends RequestName> = Requests[K]['result'];

// The runtime lists, checked against the interfaces: adding a channel to `Requests` without
// listing it here fails to compile (and the preload would not expose it).
const requestNames = {
  'app:info': true,
  'app:newToken': true,
  'contacts:list': true,
  'contacts:get': true,
  'contacts:add': true,
  'contacts:update': true,
  'contacts:delete': true,
  'contacts:check': true,
  'contacts:importPreview': true,
  'contacts:import': true,
  'contacts:export': true,
  'devices:list': true,
  'devices:pending': true,
  'devices:sync': true,
  'devices:rename': true,
  'devices:forget': true,
  'devices:setPriority': true,
  'devices:setAutoSync': true,
  'devices:pairSyncml': true,
  'devices:pairCarddav': true,
  'devices:discovered': true,
  'devices:pairPhone': true,
  'devices:ignorePhone': true,
  'bluetooth:list': true,
  'bluetooth:pair': true,
  'conflicts:list': true,
  'conflicts:resolve': true,
  'sync:run': true,
  'sync:history': true,
  'runs:undoPreview': true,
  'runs:undo': true,
  'contacts:deleted': true,
  'contacts:restore': true,
  'contacts:history': true,
  'holds:list': true,
  'holds:approve': true,
  'holds:keep': true,
  'activity:edits': true,
  'settings:get': true,
  'settings:setLan': true,
  'settings:setStartAtLogin': true,
  'settings:setGuard': true,
  'settings:setRetention': true,
  'settings:setBackupKeep': true,
  'backups:now': true,
} satisfies Record<RequestName, true>;
export const REQUEST_NAMES = Object.keys(requestNames) as RequestName[];
const eventNames = { 'sync:progress': true, 'hub:changed': true, 'devices:discovered': true, 'bluetooth:changed': true } satisfies Record<EventName, true>;
export const EVENT_NAMES = Object.keys(eventNames) as EventName[];

/** What the preload exposes as `window.concord`: one function per request, and one way to
 *  listen to the declared events. */
export type ConcordBridge = {
  [K in RequestName]: (args: ArgsOf<K>) => Promise<Result<ResultOf<K>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
};

// ---- WebSocket framing -------------------------------------------------------------------
/** Client → server. `id` is echoed in the reply. */
export interface WsRequest {
  id: number;
  channel: RequestName;
  args: unknown;
}

/** Server → client. `id` null: the message could not be read far enough to find one. */
export type WsMessage =
  | { type: 'reply'; id: number | null; result: Result<unknown> }
  | { type: 'event'; event: EventName; payload: unknown };

/** Limits both transports share. */
export const LIMITS = {
  /** One WebSocket message or HTTP body; a .vcf of a few thousand contacts fits. */
  maxMessageBytes: 16 * 1024 * 1024,
  maxPage: 1000,
  maxQuery: 200,
} as const;
