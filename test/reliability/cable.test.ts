// A link lost mid-run: the serial link cut (socat killed) or stalled (socat stopped) at random
// byte offsets during retrieve and push; replugged, the phone converges with nothing lost
// or doubled, and a stall is noticed by the driver's own timeout.
// CONCORD_REL_SEED=N replays; CONCORD_REL_CUTS=N changes the count.
import { afterAll, describe, expect, it } from 'vitest';
import { haveSocat, socatMissing } from '../main/devices/at-phonebook/helpers';
import { killAll } from './lib/common';
import { cableCampaign } from './lib/cable';

const SEED = Number(process.env.CONCORD_REL_SEED ?? Date.now() % 1_000_000);
const CUTS = Number(process.env.CONCORD_REL_CUTS ?? 20);
afterAll(() => killAll());

describe.skipIf(!haveSocat)(`cut cables on the serial path ${socatMissing}`, () => {
  it(`${CUTS} cuts and stalls at random byte offsets (seed ${SEED})`, async () => {
    const s = await cableCampaign({ cuts: CUTS, seed: SEED, log: (l) => console.log(`[cable] ${l}`) });
    console.log(`[cable] ${JSON.stringify({ ...s, runsToConverge: undefined, maxRuns: Math.max(0, ...s.runsToConverge) })}`);
    expect(s.problems, `seed ${SEED}`).toEqual([]);
    expect(s.cuts).toBeGreaterThanOrEqual(CUTS);
    expect(s.stalls).toBeGreaterThan(0);
    // The driver gives up on a stalled line within a few of its command timeouts.
    for (const ms of s.stallDetectMs) expect(ms).toBeLessThan(10_000);
  }, 300_000);
});
