// What the hub tells the rest of the app: devices, runs, progress, conflicts. Plain data,
// so the UI contract (main/api/contract.ts) can carry it as it is.
import type { Contact } from '../core/contact';
import type { ActionKind, Guid, Spid } from '../core/types';
import type { DeviceRecord, RunSummary } from '../dss/records';

// The records the DSS keeps (moved down so that main/dss never imports from main/hub).
export type { ConflictElement, ConflictEntry, ConflictVersion, DeviceKind, DeviceLink, DeviceRecord, RunCounts, RunOutcome, RunSummary } from '../dss/records';

export interface DeviceStatus extends DeviceRecord {
  online: boolean;
  pending: { add: number; update: number; delete: number; oldestSince: number | null };
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
