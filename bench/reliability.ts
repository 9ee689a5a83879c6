// `npm run bench reliability`: the reliability campaigns (process crashes, networks,
// serial cables) at benchmark size.
//   CONCORD_REL_KILLS  SIGKILLs of the hub during real syncs (default 500)
//   CONCORD_REL_CUTS   serial cable cuts/stalls (default 200)
//   CONCORD_REL_NET    syncs per loss rate in the netns part, and reps per proxy fault (default 10)
//   CONCORD_REL_SEED   seed (default: time)
//   CONCORD_REL_ONLY   comma list of crash,cable,proxy,netns (default all)
// Prints one JSON line per campaign and a summary; bench/RELIABILITY.md records a run.
import { hasSyncEvolution, killAll } from '../test/reliability/lib/common';
import { crashCampaign } from '../test/reliability/lib/crash';
import { cableCampaign } from '../test/reliability/lib/cable';
import { netnsCampaign, proxyCampaign } from '../test/reliability/lib/network';
import { netnsUnavailable, setupNetns, teardownNetns } from '../test/reliability/lib/netns';
import { haveSocat } from '../test/main/devices/at-phonebook/helpers';

export async function run(): Promise<void> {
  const env = process.env;
  const seed = Number(env.CONCORD_REL_SEED ?? Date.now() % 1_000_000);
  const only = new Set((env.CONCORD_REL_ONLY ?? 'crash,cable,proxy,netns').split(','));
  const log = (tag: string) => (s: string) => console.log(`  [${tag}] ${s}`);
  console.log(`\nReliability (seed ${seed}; CONCORD_REL_SEED=${seed} replays)`);
  const sevo = hasSyncEvolution();
  try {
    if (only.has('cable')) {
      if (!haveSocat) console.log('cable: socat missing, skipped');
      else {
        const s = await cableCampaign({ cuts: Number(env.CONCORD_REL_CUTS ?? 200), seed, log: log('cable') });
        console.log(`cable ${JSON.stringify(s)}`);
      }
    }
    if (only.has('proxy')) {
      if (!sevo) console.log('proxy: SyncEvolution missing, skipped');
      else {
        const s = await proxyCampaign({ reps: Number(env.CONCORD_REL_NET ?? 10), seed, log: log('proxy') });
        console.log(`proxy ${JSON.stringify(s)}`);
      }
    }
    if (only.has('netns')) {
      const why = netnsUnavailable();
      if (why || !sevo) console.log(`netns: ${why ?? 'SyncEvolution missing'}; skipped`);
      else {
        setupNetns();
        try {
          const s = await netnsCampaign({ syncsPerRate: Number(env.CONCORD_REL_NET ?? 10), seed, log: log('netns') });
          console.log(`netns ${JSON.stringify(s)}`);
        } finally {
          teardownNetns();
        }
      }
    }
    if (only.has('crash')) {
      if (!sevo || !haveSocat) console.log('crash: SyncEvolution or socat missing, skipped');
      else {
        const s = await crashCampaign({ kills: Number(env.CONCORD_REL_KILLS ?? 500), seed, checkEvery: 10, log: log('crash') });
        const conv = s.syncsToConverge;
        console.log(`crash ${JSON.stringify({ ...s, syncsToConverge: undefined, maxSyncsToConverge: Math.max(0, ...conv), meanSyncsToConverge: conv.reduce((a, b) => a + b, 0) / Math.max(1, conv.length) })}`);
      }
    }
  } finally {
    killAll();
  }
}
