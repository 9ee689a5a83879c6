import { describe, expect, it } from 'vitest';
import { InvalidMergeError, mergeActions, type MaybeAction } from '../../../main/core/merge';

// One test per cell of the offline merge table (sync-method.md): the old action picks the
// row, the new action the column.
const cells: [MaybeAction, MaybeAction, MaybeAction | 'invalid'][] = [
  [null, null, null],
  [null, 'ADD', 'ADD'],
  [null, 'DELETE', 'DELETE'],
  [null, 'UPDATE', 'UPDATE'],
  ['ADD', null, 'ADD'],
  ['ADD', 'ADD', 'ADD'],
  ['ADD', 'DELETE', null],
  ['ADD', 'UPDATE', 'ADD'],
  ['DELETE', null, 'DELETE'],
  ['DELETE', 'ADD', 'invalid'],
  ['DELETE', 'DELETE', 'DELETE'],
  ['DELETE', 'UPDATE', 'invalid'],
  ['UPDATE', null, 'UPDATE'],
  ['UPDATE', 'ADD', 'UPDATE'],
  ['UPDATE', 'DELETE', 'DELETE'],
  ['UPDATE', 'UPDATE', 'UPDATE'],
];

describe('mergeActions', () => {
  for (const [oldA, newA, result] of cells) {
    it(`old ${oldA ?? 'none'} + new ${newA ?? 'none'} = ${result ?? 'none'}`, () => {
      if (result === 'invalid') {
        expect(() => mergeActions(oldA, newA, 'g1', 'phone')).toThrow(InvalidMergeError);
      } else {
        expect(mergeActions(oldA, newA)).toBe(result);
      }
    });
  }
});
