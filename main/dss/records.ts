// The records the DSS keeps about sync points, runs and conflicts, as plain data: the hub
// and the UI contract (main/api/contract.ts) carry them as they are.
import type { Contact } from '../core/contact';
import type { Capacity } from '../core/projection';
import type { ChangeTracking, Guid, Spid } from '../core/types';

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
  /** The hub can read the device but not write to it (always a snapshot device): it plans
   *  no actions for it. */
  readOnly: boolean;
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
