// A device that lost its sync state (or was just paired) is sent every truth record it
// lacks. The plan does not hold an ADD object per record for it: Overlay.sendAllLacking
// marks the device, the overlay answers pending/pendingOf as if the ADDs were set, and the
// commit writes them with one statement. The two must agree exactly: what the plan reads
// is what the DSS holds after the commit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contactOf } from '../../../main/core/contact';
import { planRun } from '../../../main/core/reconcile';
import type { PointReport } from '../../../main/core/run-state';
import type { PendingAction } from '../../../main/core/types';
import { commit } from '../../../main/dss/commit';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub } from '../../../main/hub/hub';
import { pointInfo } from '../../../main/hub/run';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const person = (i: number) => ({ fn: `Person ${i}`, tel: [{ type: 'cell', value: `+4477009${String(i).padStart(5, '0')}` }] });
const key = (a: PendingAction) => `${a.guid} ${a.action} ${a.seq}`;

describe('a device sent everything it lacks', () => {
  it('reads in the plan exactly the ADDs the commit writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-sendall-'));
    dirs.push(dir);
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    hub.pairDevice({ spid: 'laptop', name: 'laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(new SimulatedDevice({ spid: 'laptop', initial: Array.from({ length: 60 }, (_, i) => person(i)) }));
    expect((await hub.sync()).outcome).toBe('ok');
    hub.pairDevice({ spid: 'phone', name: 'phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });

    // The new phone holds copies of 20 known people (matched: no ADD for them) and 5 of
    // its own (new records, mapped to it: no ADD either).
    const records: PointReport = {
      kind: 'log',
      lostSyncState: false,
      records: [
        ...Array.from({ length: 20 }, (_, i) => ({ luid: `p${i}`, state: 'ADDED' as const, data: contactOf(person(i * 3)) })),
        ...Array.from({ length: 5 }, (_, i) => ({ luid: `n${i}`, state: 'ADDED' as const, data: contactOf(person(1000 + i)) })),
      ],
      lateAcks: [],
    };
    let g = 0;
    const points = hub.dss.devices().map(pointInfo);
    expect(points.find((p) => p.spid === 'phone')?.lostState).toBe(true);
    const plan = planRun(hub.dss, { runId: 99, region: 'GB', points, reports: new Map([['phone', records]]), editorEdits: [] }, () => `new-${++g}`);
    const ov = plan.overlay;
    expect(ov.sendAll.has('phone')).toBe(true);

    const planned = ov.pendingOf('phone');
    expect(planned).toHaveLength(40); // 65 records, 25 on the phone
    expect(planned.every((a) => a.action === 'ADD')).toBe(true);
    for (const a of planned) expect(ov.pending('phone', a.guid)).toEqual(a);
    for (const m of ov.mapsOf('phone')) expect(ov.pending('phone', m.guid)).toBeUndefined();

    const written = commit(hub.dss, ov, { runId: 99, now: 1, conflicts: plan.conflicts, editorUpTo: null, lostState: plan.lostState });
    expect(written).toBe(40);
    const stored = hub.dss.pushList('phone');
    expect(stored.map(key).sort()).toEqual(planned.map(key).sort());
    expect(stored.every((a) => a.run === 99)).toBe(true);
    await hub.close();
  });
});
