// The fuzz benchmark's seed: taken from CONCORD_FUZZ_SEED to replay a run, otherwise a new
// one each run (so runs explore different inputs), never a fixed constant.
import { describe, expect, it } from 'vitest';
import { fuzzSeed } from '../../bench/fuzz';
import { fuzzTestSeed } from './lib/harness';

describe('fuzzSeed', () => {
  it('replays the seed given in CONCORD_FUZZ_SEED', () => {
    expect(fuzzSeed({ CONCORD_FUZZ_SEED: '42' })).toBe(42);
    expect(fuzzSeed({ CONCORD_FUZZ_SEED: '0' })).toBe(0);
  });
  it('refuses a seed that is not an integer from 0 to 2^32-1', () => {
    for (const bad of ['abc', '1.5', '-1', '4294967296']) expect(() => fuzzSeed({ CONCORD_FUZZ_SEED: bad })).toThrow(/CONCORD_FUZZ_SEED/);
  });
  it('without one, picks a different seed from run to run', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => fuzzSeed({})));
    expect(seeds.size).toBeGreaterThan(15);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s > 0).toBe(true);
  });
});

describe('fuzzTestSeed', () => {
  it('is the test\'s own seed unless CONCORD_FUZZ_SEED replays one', () => {
    expect(fuzzTestSeed(707, {})).toBe(707);
    expect(fuzzTestSeed(707, { CONCORD_FUZZ_SEED: '' })).toBe(707);
    expect(fuzzTestSeed(707, { CONCORD_FUZZ_SEED: '4242' })).toBe(4242);
    expect(() => fuzzTestSeed(707, { CONCORD_FUZZ_SEED: 'x' })).toThrow(/CONCORD_FUZZ_SEED/);
  });
});
