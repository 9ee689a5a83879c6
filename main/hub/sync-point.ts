// The one interface every device kind implements: the simulator, the AT phonebook, SyncML,
// CardDAV (style.md, "The sync point interface"). Faults are injected here, never by
// special cases in the engine.
import type { Contact } from '../core/contact';
import type { Capacity } from '../core/projection';
import type { ActionKind, ChangeTracking, Guid, LateAck, Luid, ReportedRecord, Spid } from '../core/types';

/** What a device holds, listed by a `snapshot` device (an AT phonebook). */
export interface ListedRecord {
  luid: Luid;
  data: Contact;
}

/** A record the device sent that its adapter could not understand. It is skipped and
 *  logged against the device; the run goes on. */
export interface SkippedRecord {
  luid: Luid | null;
  reason: string;
}

export type Retrieved =
  | {
      changeTracking: 'log';
      /** The device says it lost its sync state (a SyncML slow sync): `records` holds
       *  everything it has, as ADDED under new LUIDs. */
      lostSyncState: boolean;
      records: ReportedRecord[];
      lateAcks: LateAck[];
      skipped: SkippedRecord[];
    }
  | {
      changeTracking: 'snapshot';
      lostSyncState: boolean;
      /** Everything the device holds now; the hub derives the states. */
      listing: ListedRecord[];
      skipped: SkippedRecord[];
    };

/** One action to carry out on the device. `data` is the truth's current version through
 *  the device's projection (absent for DELETE). */
export interface PushOp {
  action: ActionKind;
  guid: Guid;
  /** The device's id for the record (absent for ADD). */
  luid?: Luid;
  data?: Contact;
}

export type PushResult =
  | { op: PushOp; ok: true; luid: Luid; /** what the device stored, if it differs from `data` */ stored?: Contact }
  | { op: PushOp; ok: false; error: { code: DeviceErrorCode; message: string } };

/** A device refused one record; the action stays pending and the run goes on. */
export type DeviceErrorCode = 'rejected' | 'full' | 'too-long' | 'busy' | 'unsupported';

/** The link to the device is gone (cable pulled, Bluetooth out of range, TCP reset, a
 *  stall that hit the adapter's own timeout). Unacknowledged actions stay pending. */
export class LinkLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkLostError';
  }
}

export interface SyncPoint {
  readonly spid: Spid;
  readonly changeTracking: ChangeTracking;
  readonly capacity: Capacity;
  /** The device has no write path (PBAP, a watched export): attaching it marks its paired
   *  record read-only, so the hub never plans actions for it. */
  readonly readOnly?: boolean;
  /** Step 2: read the device's records and their states. Throws LinkLostError. */
  retrieve(): Promise<Retrieved>;
  /**
   * Step 7: carry out `ops` in order. `onAcks` is called with every acknowledgement as it
   * arrives (a batch when the protocol acknowledges a whole message at once); the hub has
   * committed them to the DSS when it returns. Adapters may send several ops before their
   * acknowledgements arrive (SyncML packs many into one message). Resolves when every op
   * has an answer; rejects with LinkLostError when the link drops (what was acknowledged
   * stays acknowledged, the rest stays pending).
   */
  push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void>;
  /** The run is over for this device. `pushCompleted`: every action was acknowledged, so a
   *  log device may forget its change log. */
  finish(pushCompleted: boolean): Promise<void>;
}
