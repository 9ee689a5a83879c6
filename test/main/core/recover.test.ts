import { describe, expect, it } from 'vitest';
import { recoverRecord } from '../../../main/core/recover';
import type { ActionKind, DataState } from '../../../main/core/types';

// One test per row of the recovery table (sync-method.md), first matching row wins. Each
// checks the whole result production reads: the row, the actual state presented to
// reconciliation, whether the pending entry stays, and what an UPDATED record is compared
// with.
describe('recoverRecord', () => {
  const states: DataState[] = ['ADDED', 'UPDATED', 'DELETED', 'NO_CHANGE'];
  it('R1: a pending DELETE holds whatever the device reports; the DELETE is kept', () => {
    for (const state of states) {
      for (const duplicate of [false, true]) {
        for (const mapped of [false, true]) {
          expect(recoverRecord({ pending: 'DELETE', state, duplicate, mapped })).toEqual({ row: 'R1', actual: null, keepPending: true });
        }
      }
    }
  });
  it('R2: DELETED drops every pending entry', () => {
    for (const pending of [null, 'ADD', 'UPDATE'] as (ActionKind | null)[]) {
      expect(recoverRecord({ pending, state: 'DELETED', duplicate: false, mapped: true })).toEqual({ row: 'R2', actual: 'DELETED', keepPending: false });
    }
  });
  it('R3: UPDATED (not "deemed DELETED") drops every pending entry and is compared with its base', () => {
    for (const pending of [null, 'ADD', 'UPDATE'] as (ActionKind | null)[]) {
      expect(recoverRecord({ pending, state: 'UPDATED', duplicate: false, mapped: true })).toEqual({ row: 'R3', actual: 'UPDATED', keepPending: false, compare: 'base' });
    }
  });
  it('R3: a known LUID reported as ADDED is the same record, recovered as UPDATED', () => {
    for (const pending of [null, 'ADD', 'UPDATE'] as (ActionKind | null)[]) {
      expect(recoverRecord({ pending, state: 'ADDED', duplicate: false, mapped: true })).toEqual({ row: 'R3', actual: 'UPDATED', keepPending: false, compare: 'base' });
    }
  });
  it('R4: NO_CHANGE keeps the pending entry as if the device were offline', () => {
    expect(recoverRecord({ pending: 'UPDATE', state: 'NO_CHANGE', duplicate: false })).toEqual({ row: 'R4', actual: 'NO_CHANGE', keepPending: true });
  });
  it('R5: ADDED and no duplicate is a new record', () => {
    expect(recoverRecord({ pending: null, state: 'ADDED', duplicate: false })).toEqual({ row: 'R5', actual: 'ADDED', keepPending: true });
  });
  it('R6: ADDED duplicate of O with an ADD pending for O: the ack was lost; the ADD is dropped', () => {
    // On a log device the hub's writes never enter the log: its entry is the user's own,
    // compared with no base (as R8).
    expect(recoverRecord({ pending: 'ADD', state: 'ADDED', duplicate: true, changeTracking: 'log' })).toEqual({ row: 'R6', actual: 'UPDATED', keepPending: false, compare: 'none' });
    // A snapshot device holds the copy the hub sent.
    expect(recoverRecord({ pending: 'ADD', state: 'ADDED', duplicate: true, changeTracking: 'snapshot' })).toEqual({ row: 'R6', actual: 'UPDATED', keepPending: false, compare: 'sent' });
  });
  it('R7: ADDED duplicate of O with an UPDATE pending: not presented, the UPDATE stays', () => {
    for (const changeTracking of ['log', 'snapshot'] as const) {
      expect(recoverRecord({ pending: 'UPDATE', state: 'ADDED', duplicate: true, changeTracking })).toEqual({ row: 'R7', actual: 'NO_CHANGE', keepPending: true });
    }
  });
  it('R8: ADDED duplicate of O with nothing pending is an UPDATE of O from this device, with no base', () => {
    expect(recoverRecord({ pending: null, state: 'ADDED', duplicate: true })).toEqual({ row: 'R8', actual: 'UPDATED', keepPending: true, compare: 'none' });
  });
});
