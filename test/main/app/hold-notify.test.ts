// The desktop app's notifications of held deletions: one per hold, with the banner's words,
// never again for a hold notified before (across a restart: the keys are kept in a file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdKey, holdWords } from '../../../main/api/safety';
import type { HoldView } from '../../../main/api/contract';
import { holdNotices, loadNotified, notifiedFile, saveNotified } from '../../../main/app/hold-notify';

function hold(spid: string, name: string, count: number, since: number, approved = false): HoldView {
  return { spid, count, since, approved, records: [], name, ...holdWords({ name, count, approved }), key: holdKey({ spid, since }) };
}

describe('hold notifications in the desktop app', () => {
  it('notifies each new hold once, in the banner\'s words', () => {
    const phone = hold('phone', 'Phone', 212, 1000);
    const first = holdNotices([phone], new Set());
    expect(first.notices).toEqual([{ key: 'phone@1000', spid: 'phone', title: 'Your Phone deleted 212 contacts.', body: 'Nothing was deleted elsewhere. Open Concord to delete them everywhere or keep them.' }]);
    // The same hold again (a reconnect, another run, more deletions held since): nothing.
    const again = holdNotices([{ ...phone, count: 230 }], first.remember);
    expect(again.notices).toEqual([]);
    // A second device's hold: only that one.
    const laptop = hold('laptop', 'Laptop', 1, 2000);
    const both = holdNotices([phone, laptop], again.remember);
    expect(both.notices.map((n) => [n.title, n.body.split('.')[0]])).toEqual([['Your Laptop deleted 1 contact.', 'Nothing was deleted elsewhere']]);
    // Approved holds are not news; ended holds are forgotten; a new hold of the same device is new.
    expect(holdNotices([hold('tablet', 'Tablet', 40, 3000, true)], new Set()).notices).toEqual([]);
    const after = holdNotices([], both.remember);
    expect(after.remember.size).toBe(0);
    expect(holdNotices([hold('phone', 'Phone', 50, 5000)], after.remember).notices).toHaveLength(1);
  });

  it('keeps the notified keys across a restart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-notified-'));
    try {
      const file = notifiedFile(dir);
      expect(loadNotified(file).size).toBe(0);
      const { remember } = holdNotices([hold('phone', 'Phone', 20, 1000)], loadNotified(file));
      saveNotified(file, remember);
      expect(holdNotices([hold('phone', 'Phone', 20, 1000)], loadNotified(file)).notices).toEqual([]);
      fs.writeFileSync(file, 'not json');
      expect(loadNotified(file).size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
