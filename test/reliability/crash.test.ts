// Crash safety at scale: the hub process SIGKILLed at random moments of real syncs (concord serve
// with SyncEvolution over HTTP; a hub process of ours with the handset simulator over a socat
// pty), restarted, synced until every device is done: converged, nothing lost, no duplicates.
// CONCORD_REL_SEED=N replays a campaign; CONCORD_REL_KILLS=N changes its size.
import { afterAll, describe, expect, it } from 'vitest';
import { haveSocat } from '../main/devices/at-phonebook/helpers';
import { hasSyncEvolution, killAll } from './lib/common';
import { crashCampaign } from './lib/crash';

const SEED = Number(process.env.CONCORD_REL_SEED ?? Date.now() % 1_000_000);
const KILLS = Number(process.env.CONCORD_REL_KILLS ?? 20);
afterAll(() => killAll());

describe.skipIf(!hasSyncEvolution() || !haveSocat)('the hub SIGKILLed during real syncs', () => {
  it(`${KILLS} kills (seed ${SEED}): every device converges, nothing lost or doubled`, async () => {
    const stats = await crashCampaign({ kills: KILLS, seed: SEED, log: (s) => console.log(`[crash] ${s}`) });
    console.log(`[crash] ${JSON.stringify({ ...stats, syncsToConverge: undefined, maxSyncsToConverge: Math.max(...stats.syncsToConverge) })}`);
    expect(stats.problems, `seed ${SEED}`).toEqual([]);
    expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
    expect(stats.fullChecks).toBeGreaterThanOrEqual(2);
  }, 400_000);
});
