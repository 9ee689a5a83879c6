// The vocabulary of the method (sync-method.md, "Words"). Data states are past tense, what
// a device reports; actions are present tense, what is still to be done to a device. The
// types keep the two apart.
import type { Contact } from './contact';
import type { Capacity } from './projection';

export type Spid = string;
export type Guid = string;
export type Luid = string;

export type DataState = 'ADDED' | 'UPDATED' | 'DELETED' | 'NO_CHANGE';
export type ActionKind = 'ADD' | 'UPDATE' | 'DELETE';
export type ChangeTracking = 'log' | 'snapshot';

/** The hub's own editor is a sync point with this SPID. */
export const EDITOR_SPID: Spid = 'hub';

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** One entry of a device's action table. `seq` is the record's creation order, used to
 *  order the push. */
export interface PendingAction {
  spid: Spid;
  guid: Guid;
  action: ActionKind;
  seq: number;
  /** The run that set this action. */
  run?: number;
}

/** Who last wrote a data element, and in which run. Replaced, never changed in place
 *  (one object may stand for all the elements a device wrote in a run). */
export interface Provenance {
  readonly spid: Spid;
  readonly run: number;
}

/** A record of the truth database. */
export interface TruthRecord {
  guid: Guid;
  /** Creation order, never reused. */
  seq: number;
  contact: Contact;
  /** Element key → who last wrote it; removed elements keep their entry. Under
   *  `ALL_ELEMENTS`: the writer of every element of the record without an entry of its
   *  own (a record added by one device in one run is stored with that entry alone). */
  prov: Readonly<Record<string, Provenance>>;
}

/** The provenance key that stands for every element without an entry of its own (never an
 *  element key: those are field names and typed, numbered slots). */
export const ALL_ELEMENTS = '*';

/** The GUID↔LUID map of one record on one device, with its base: the version the hub
 *  last knew the device to hold (through its projection). `null`: not known (a late
 *  acknowledgement that did not say what the device stored). */
export interface MapEntry {
  spid: Spid;
  guid: Guid;
  luid: Luid;
  base: Contact | null;
  /** The run in which the base was set: every element written by others in a later run is
   *  a change this device has not seen. */
  run: number;
  /** What the hub last sent there, when the device stored something else (a GSM-only
   *  phone's '?' for a character it cannot show): the truth's projection still equal to
   *  this needs no UPDATE, so the same change is not sent on every run. */
  sent?: Contact | null;
}

/** A sync point as a run sees it. */
export interface PointInfo {
  spid: Spid;
  /** 1 is the highest; the editor defaults to 0. */
  priority: number;
  changeTracking: ChangeTracking;
  capacity: Capacity;
  isEditor: boolean;
  /** The device has not completed a push since it was paired or said it lost its sync
   *  state: it is sent everything it lacks. */
  lostState?: boolean;
  /** The hub can read it but not write to it (always `snapshot`): no actions are planned
   *  for it; its base is what it last reported. */
  readOnly?: boolean;
}

/** What a device reports about one record: `(LUID, state, data)`. */
export interface ReportedRecord {
  luid: Luid;
  state: Exclude<DataState, 'NO_CHANGE'>;
  /** Present for ADDED and UPDATED. */
  data?: Contact;
}

/** An acknowledgement the device sends again because the hub never received it (the
 *  SyncML Map of new LUIDs). `data`, when the device says it, is what it stored. */
export interface LateAck {
  guid: Guid;
  action: ActionKind;
  luid: Luid;
  data?: Contact;
}
