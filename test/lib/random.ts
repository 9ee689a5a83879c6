// The seeded generator every test and benchmark uses (mulberry32, from the benchmarks'
// contact generator): the same seed gives the same sequence, so a failure replays.
import { Rng } from '../../bench/lib/gen';

export { Rng };

/** A float generator in [0, 1) for `seed`. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
