// Hubs, databases and data folders a test file opens, each closed and removed after every
// test: `const { tmpDir, openHub, track } = hubFixture('history')` at the top of the file.
// `nextRun(hub)`: the summary of the run it finishes next.
import fs from 'node:fs';
import { afterEach } from 'vitest';
import type { Db } from '../../main/dss/db';
import { Hub } from '../../main/hub/hub';
import type { RunSummary } from '../../main/hub/types';
import { tmpDir as newTmpDir } from './tmp';

export function hubFixture(tag: string) {
  const dirs: string[] = [];
  const hubs: Hub[] = [];
  const dbs: Db[] = [];
  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const d of dbs.splice(0)) if (d.open) d.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmpDir = (): string => {
    const dir = newTmpDir(tag);
    dirs.push(dir);
    return dir;
  };
  return {
    tmpDir,
    /** A hub on `dir` (default: a new folder), region GB, with an optional clock. */
    openHub(dir: string = tmpDir(), now?: () => number): Hub {
      const hub = Hub.open({ dataDir: dir, region: 'GB', ...(now ? { now } : {}) });
      hubs.push(hub);
      return hub;
    },
    /** A database the test opened by hand, closed after the test. */
    track(db: Db): Db {
      dbs.push(db);
      return db;
    },
  };
}

/** The summary of the next run the hub finishes (of any devices). */
export function nextRun(hub: Hub, ms = 10_000): Promise<RunSummary> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no run in time')), ms);
    const off = hub.on('progress', (p) => {
      if (p.type !== 'run-finished') return;
      clearTimeout(timer);
      off();
      resolve(p.summary);
    });
  });
}
