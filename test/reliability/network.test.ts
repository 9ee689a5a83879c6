// Convergence over lossy, slow and broken networks between SyncEvolution and the hub.
// CONCORD_REL_SEED=N replays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSyncEvolution, killAll } from './lib/common';
import { netnsCampaign, proxyCampaign } from './lib/network';
import { netnsUnavailable, setupNetns, teardownNetns } from './lib/netns';

const SEED = Number(process.env.CONCORD_REL_SEED ?? Date.now() % 1_000_000);
const sevo = hasSyncEvolution();
const noNetns = netnsUnavailable();
if (noNetns) console.warn(`[network] ${noNetns}`);

describe.skipIf(!sevo)('SyncEvolution through a faulty TCP proxy', () => {
  afterAll(() => killAll());
  it(`delay, resets up and down, refusals and a stalled peer (seed ${SEED})`, async () => {
    const s = await proxyCampaign({ reps: 2, seed: SEED, log: (l) => console.log(`[proxy] ${l}`) });
    expect(s.problems, `seed ${SEED}`).toEqual([]);
    expect(s.rows).toHaveLength(5);
    for (const r of s.rows) expect(r.failedCleanly + r.completed, r.fault).toBe(r.attempted);
  }, 240_000);
});

describe.skipIf(!sevo || !!noNetns)(`SyncEvolution and concord serve in two network namespaces ${noNetns ?? ''}`, () => {
  beforeAll(() => setupNetns());
  afterAll(() => {
    killAll();
    teardownNetns();
  });
  it(`5%, 10%, 30% packet loss and a 256 kbit/s line (seed ${SEED})`, async () => {
    const s = await netnsCampaign({ syncsPerRate: 2, seed: SEED, log: (l) => console.log(`[netns] ${l}`) });
    expect(s.problems, `seed ${SEED}`).toEqual([]);
    expect(s.rows).toHaveLength(4);
  }, 400_000);
});
