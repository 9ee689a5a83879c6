// Port arrival and removal by polling, as in containers where no udev daemon runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchSerialPorts } from '../../native/hotplug';
import { listSerialPorts } from '../../native/serial';
import { ptyPair } from '../main/devices/at-phonebook/helpers';

const haveSocat = spawnSync('sh', ['-c', 'command -v socat']).status === 0;

describe('serial ports', () => {
  it('lists ports without throwing, udev or not', async () => {
    const ports = await listSerialPorts();
    expect(Array.isArray(ports)).toBe(true);
    for (const p of ports) expect(['usb', 'bluetooth', 'serial', 'pty']).toContain(p.kind);
  });

  it.skipIf(!haveSocat)('reports a port that appears and goes away (socat pty pair)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atpb-hotplug-'));
    const watched = path.join(dir, 'p-host');
    const w = watchSerialPorts({ intervalMs: 100, extraPaths: [watched], useSerialportList: false });
    const events: string[] = [];
    w.on('add', (p) => events.push(`add ${p.path}`));
    w.on('remove', (p) => events.push(`remove ${p}`));
    const pair = await ptyPair(dir, 'p');
    await new Promise((r) => setTimeout(r, 300));
    await pair.kill();
    await new Promise((r) => setTimeout(r, 300));
    w.stop();
    expect(events).toEqual([`add ${watched}`, `remove ${watched}`]);
  });
});
