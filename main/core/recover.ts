// Recovery: the actual state of one record on one device (sync-method.md, "Recovery").
// Take the first row that matches.
import type { ActionKind, DataState } from './types';

export type RecoveryRow = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8';

export interface RecoveryInput {
  /** This device's action-table entry for the record (for ADDED: for the duplicate `O`). */
  pending: ActionKind | null;
  state: DataState;
  /** For ADDED: whether the duplicate detector found a record `O` the hub knows. */
  duplicate: boolean;
}

export interface Recovery {
  row: RecoveryRow;
  /** The actual state presented to reconciliation; null: not presented. */
  actual: DataState | null;
  /** Keep the pending entry as it is. */
  keepPending: boolean;
}

export function recover({ pending, state, duplicate }: RecoveryInput): Recovery {
  // R1: the truth deleted it in an earlier run; the device is told again, whatever it says.
  // (For ADDED, `pending` is the entry of the duplicate O: a record matching the last base
  // of a pending DELETE is told again to delete, never resurrected.)
  if (pending === 'DELETE') return { row: 'R1', actual: null, keepPending: true };
  switch (state) {
    case 'DELETED':
      return { row: 'R2', actual: 'DELETED', keepPending: false };
    case 'UPDATED':
      // The source's flow chart says "deemed DELETED" here; its own text means UPDATED.
      return { row: 'R3', actual: 'UPDATED', keepPending: false };
    case 'NO_CHANGE':
      return { row: 'R4', actual: 'NO_CHANGE', keepPending: true };
    case 'ADDED':
      if (!duplicate) return { row: 'R5', actual: 'ADDED', keepPending: true };
      // R6: the hub asked the device to add O, the device did, the acknowledgement was lost.
      if (pending === 'ADD') return { row: 'R6', actual: 'NO_CHANGE', keepPending: false };
      // R7: the device will get the truth's version through the pending UPDATE.
      if (pending === 'UPDATE') return { row: 'R7', actual: 'NO_CHANGE', keepPending: true };
      // R8: the user entered a contact the hub already has: an UPDATE of O from this device.
      return { row: 'R8', actual: 'UPDATED', keepPending: true };
    default: {
      const never: never = state;
      throw new Error(`unknown data state ${String(never)}`);
    }
  }
}
