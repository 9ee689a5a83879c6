// What the hub tells the rest of the app: devices, runs, progress, conflicts. Plain data,
// so the UI contract (main/api/contract.ts) can carry it as it is.
import type { Contact } from '../core/contact';
import type { Capacity } from '../core/projection';
import type { ActionKind, ChangeTracking, Guid, Spid } from '../core/types';

export type DeviceKind = 'editor' | 'simulated' | 'at-phonebook' | 'syncml' | 'carddav' | 'pbap';
export type DeviceLink = 'none' | 'usb' | 'bluetooth' | 'lan' | 'simulated';

/** A paired sync point as the DSS knows it. */
export interface DeviceRecord {
  spid: Spid;
  name: string;
  kind: DeviceKind;
  link: DeviceLink;
  changeTracking: ChangeTracking;
  capacity: Capacity;
  /** 1 is the highest; the editor defaults to 0 (above every device). */
  priority: number;
  /** Sync automatically when the device appears. */
  autoSync: boolean;
  /** Adapter settings (serial port, IMEI, SyncML user…), opaque to the hub. */
  config: Record<string, unknown>;
  createdAt: number;
  lastSyncAt: number | null;
  lastOutcome: RunOutcome | null;
  /** The device said it lost its sync state and has not completed a push since. */
  lostState: boolean;
}

export interface DeviceStatus extends DeviceRecord {
  online: boolean;
  pending: { add: number; update: number; delete: number; oldestSince: number | null };
}

export type RunOutcome = 'ok' | 'partial' | 'failed';

/** Per device, what one run moved each way. */
export interface RunCounts {
  /** Changes the device reported that reached the truth. */
  in: { add: number; update: number; delete: number };
  /** Actions the device acknowledged. */
  out: { add: number; update: number; delete: number };
  /** Records the hub skipped because it could not understand them. */
  skipped: number;
  /** Actions still pending for the device after the run. */
  pending: number;
  /** Why the device did not finish, in plain words. */
  error?: string;
}

export interface RunSummary {
  id: number;
  startedAt: number;
  finishedAt: number;
  devices: Spid[];
  counts: Record<Spid, RunCounts>;
  conflicts: number;
  outcome: RunOutcome;
  error?: string;
}

export type SyncProgress =
  | { type: 'run-started'; runId: number; devices: Spid[] }
  | { type: 'device-retrieving'; runId: number; spid: Spid; index: number; of: number }
  | { type: 'device-retrieved'; runId: number; spid: Spid; records: number }
  | { type: 'committed'; runId: number; actions: number }
  | { type: 'device-pushing'; runId: number; spid: Spid; index: number; of: number; done: number; total: number }
  | { type: 'device-done'; runId: number; spid: Spid; completed: boolean; error?: string }
  | { type: 'run-finished'; runId: number; summary: RunSummary }
  | { type: 'run-failed'; runId: number; reason: string };

/** One side of a conflict: what a device (or the truth before the run) held. `contact`
 *  null: that side deleted the record. */
export interface ConflictVersion {
  spid: Spid;
  contact: Contact | null;
  won: boolean;
}

export interface ConflictElement {
  key: string;
  /** Human label of the element, e.g. `tel (work)`. */
  label: string;
  winner: { spid: Spid; value: string | null };
  losers: { spid: Spid; value: string | null }[];
}

export interface ConflictEntry {
  id: number;
  runId: number;
  at: number;
  guid: Guid;
  kind: 'elements' | 'delete-update' | 'added-twice';
  /** The version the truth took. */
  result: Contact | null;
  versions: ConflictVersion[];
  elements: ConflictElement[];
  /** Set once the user chose a version (an ordinary edit then carries it). */
  resolvedAt: number | null;
}

export interface PendingItem {
  guid: Guid;
  action: ActionKind;
  name: string;
  since: number;
}

export interface ContactRow {
  guid: Guid;
  contact: Contact;
  updatedAt: number;
}
