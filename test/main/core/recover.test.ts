import { describe, expect, it } from 'vitest';
import { recover } from '../../../main/core/recover';
import type { ActionKind, DataState } from '../../../main/core/types';

// One test per row of the recovery table (sync-method.md), first matching row wins.
describe('recover', () => {
  const states: DataState[] = ['ADDED', 'UPDATED', 'DELETED', 'NO_CHANGE'];
  it('R1: a pending DELETE holds whatever the device reports; the DELETE is kept', () => {
    for (const state of states) {
      for (const duplicate of [false, true]) {
        expect(recover({ pending: 'DELETE', state, duplicate })).toEqual({ row: 'R1', actual: null, keepPending: true });
      }
    }
  });
  it('R2: DELETED drops every pending entry', () => {
    for (const pending of [null, 'ADD', 'UPDATE'] as (ActionKind | null)[]) {
      expect(recover({ pending, state: 'DELETED', duplicate: false })).toEqual({ row: 'R2', actual: 'DELETED', keepPending: false });
    }
  });
  it('R3: UPDATED (not "deemed DELETED") drops every pending entry', () => {
    for (const pending of [null, 'ADD', 'UPDATE'] as (ActionKind | null)[]) {
      expect(recover({ pending, state: 'UPDATED', duplicate: false })).toEqual({ row: 'R3', actual: 'UPDATED', keepPending: false });
    }
  });
  it('R4: NO_CHANGE keeps the pending entry as if the device were offline', () => {
    expect(recover({ pending: 'UPDATE', state: 'NO_CHANGE', duplicate: false })).toEqual({ row: 'R4', actual: 'NO_CHANGE', keepPending: true });
  });
  it('R5: ADDED and no duplicate is a new record', () => {
    expect(recover({ pending: null, state: 'ADDED', duplicate: false })).toEqual({ row: 'R5', actual: 'ADDED', keepPending: true });
  });
  it('R6: ADDED duplicate of O with an ADD pending for O: the ack was lost; the ADD is dropped', () => {
    expect(recover({ pending: 'ADD', state: 'ADDED', duplicate: true })).toEqual({ row: 'R6', actual: 'NO_CHANGE', keepPending: false });
  });
  it('R7: ADDED duplicate of O with an UPDATE pending: the UPDATE stays', () => {
    expect(recover({ pending: 'UPDATE', state: 'ADDED', duplicate: true })).toEqual({ row: 'R7', actual: 'NO_CHANGE', keepPending: true });
  });
  it('R8: ADDED duplicate of O with nothing pending is an UPDATE of O from this device', () => {
    expect(recover({ pending: null, state: 'ADDED', duplicate: true })).toEqual({ row: 'R8', actual: 'UPDATED', keepPending: true });
  });
});
