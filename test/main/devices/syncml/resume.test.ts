// Resume persistence: what a SyncML session received is written before the reply that
// acknowledges it, named by kind (added, updated, deleted, listed, mapped), read back for a
// resume of the same client, database and Last anchor only, and dropped once a run
// committed it. Files written before the kinds had names (one letter) still resume.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pairSyncmlDevice } from '../../../../main/devices/syncml/pair';
import { ResumeLog, keptSessionOf, type KeptSession } from '../../../../main/devices/syncml/resume';
import { Hub } from '../../../../main/hub/hub';
import { tmpDir } from '../../../lib/tmp';

let dir: string;
let hub: Hub;
let spid: string;
beforeEach(() => {
  dir = tmpDir('syncml-resume');
  hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  spid = pairSyncmlDevice(hub, 'laptop', 'lee', 'pw').spid;
});
afterEach(async () => {
  await hub.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const session = (token: string): KeptSession => ({ deviceId: 'dev-1', db: 'addressbook', last: 'a1', mode: 'slow', lost: true, token, received: false });
const CARD = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n';

describe('ResumeLog', () => {
  it('writes named entries to the state folder and gives them back to the same client, database and anchor only', () => {
    const stateDir = path.join(dir, 'state');
    const log = new ResumeLog(stateDir);
    const k = session('ab12');
    log.keep(hub, spid, k, [['added', 'c1', CARD], ['deleted', 'c2', ''], ['mapped', 'g1', 'c9']], true);
    expect(keptSessionOf(hub.device(spid))).toMatchObject({ token: 'ab12', received: true });
    const lines = fs.readFileSync(path.join(stateDir, 'resume-ab12.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as string[])[0])).toEqual(['added', 'deleted', 'mapped']);

    // A new process: only the file is left.
    const again = new ResumeLog(stateDir);
    expect(again.resumable(hub, spid, 'dev-1', 'addressbook', 'a1')).toEqual({
      mode: 'slow',
      lost: true,
      entries: [['added', 'c1', CARD], ['deleted', 'c2', ''], ['mapped', 'g1', 'c9']],
    });
    expect(again.resumable(hub, spid, 'dev-2', 'addressbook', 'a1')).toBeNull();
    expect(again.resumable(hub, spid, 'dev-1', 'calendar', 'a1')).toBeNull();
    expect(again.resumable(hub, spid, 'dev-1', 'addressbook', 'other')).toBeNull();

    // Committed by a run: nothing to feed in again, and the device's map is the hub's.
    again.committed(hub, spid, 'ab12');
    expect(fs.existsSync(path.join(stateDir, 'resume-ab12.jsonl'))).toBe(false);
    expect(keptSessionOf(hub.device(spid))).toMatchObject({ received: false, lost: false });
    expect(again.resumable(hub, spid, 'dev-1', 'addressbook', 'a1')).toEqual({ mode: 'slow', lost: false, entries: [] });
  });

  it('reads a file written with the one-letter kinds of earlier versions', () => {
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir, { recursive: true });
    const old = [['A', 'c1', CARD], ['U', 'c2', CARD], ['D', 'c3', ''], ['L', 'c4', CARD], ['M', 'g1', 'c5']];
    fs.writeFileSync(path.join(stateDir, 'resume-cd34.jsonl'), old.map((e) => JSON.stringify(e)).join('\n') + '\n');
    hub.updateDeviceConfig(spid, { syncmlResume: { ...session('cd34'), received: true } });
    expect(new ResumeLog(stateDir).resumable(hub, spid, 'dev-1', 'addressbook', 'a1')?.entries).toEqual([
      ['added', 'c1', CARD],
      ['updated', 'c2', CARD],
      ['deleted', 'c3', ''],
      ['listed', 'c4', CARD],
      ['mapped', 'g1', 'c5'],
    ]);
  });

  it('without a state folder, a session that received records cannot be resumed after a restart', () => {
    const log = new ResumeLog(undefined);
    log.keep(hub, spid, session('ef56'), [['added', 'c1', CARD]], true);
    expect(log.resumable(hub, spid, 'dev-1', 'addressbook', 'a1')?.entries).toHaveLength(1);
    expect(new ResumeLog(undefined).resumable(hub, spid, 'dev-1', 'addressbook', 'a1')).toBeNull();
  });
});
