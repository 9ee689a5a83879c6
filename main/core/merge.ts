// Merging for offline devices (sync-method.md, "Merging for offline devices"): the old
// action picks the row, the new action the column. Asymmetric because time runs from
// old to new.
import type { ActionKind } from './types';

export type MaybeAction = ActionKind | null;

/** A cell of the table that must never occur: a record deleted from the truth cannot be
 *  added or updated again under the same GUID. The run fails before its commit. */
export class InvalidMergeError extends Error {
  constructor(
    readonly oldAction: MaybeAction,
    readonly newAction: MaybeAction,
    readonly guid: string,
    readonly spid: string,
  ) {
    super(`invalid action merge for record ${guid} on ${spid}: pending ${oldAction} then ${newAction}`);
    this.name = 'InvalidMergeError';
  }
}

const TABLE: Record<ActionKind | 'none', Record<ActionKind | 'none', MaybeAction | 'invalid'>> = {
  none: { none: null, ADD: 'ADD', DELETE: 'DELETE', UPDATE: 'UPDATE' },
  // ADD then DELETE is nothing: the device never got the record.
  ADD: { none: 'ADD', ADD: 'ADD', DELETE: null, UPDATE: 'ADD' },
  DELETE: { none: 'DELETE', ADD: 'invalid', DELETE: 'DELETE', UPDATE: 'invalid' },
  UPDATE: { none: 'UPDATE', ADD: 'UPDATE', DELETE: 'DELETE', UPDATE: 'UPDATE' },
};

/** The effective action of one record on one device. The data of a resulting ADD or
 *  UPDATE is always the truth's current version; entries carry none. */
export function mergeActions(oldAction: MaybeAction, newAction: MaybeAction, guid = '?', spid = '?'): MaybeAction {
  const cell = TABLE[oldAction ?? 'none'][newAction ?? 'none'];
  if (cell === 'invalid') throw new InvalidMergeError(oldAction, newAction, guid, spid);
  return cell;
}
