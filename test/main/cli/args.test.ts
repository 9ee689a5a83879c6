// One strict argument parser for every command: an unknown flag, a missing or bad value, or
// a stray argument is an error with the command's usage line (exit 2), never ignored.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../../main/app/serve';
import { findCommand } from '../../../main/cli/main';
import { parseSimArgs } from '../../../main/cli/sim';
import { runCli } from './run';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const run = runCli;

describe('the concord command line', () => {
  const data = mkdtempSync(path.join(os.tmpdir(), 'concord-cli-args-'));
  dirs.push(data);

  it('refuses an unknown flag with the usage line', async () => {
    const r = await run('devices', 'list', '--data', data, '--verbose');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^concord devices list: unknown option --verbose\nusage: concord devices list \[--data DIR\]/);
  });

  it('refuses a bad value, naming the flag', async () => {
    const r = await run('sim', 'handset', '--link', '/tmp/nowhere', '--baud', 'abc');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/concord sim handset: --baud must be a line speed from 0 to 4000000 \(not "abc"\)\nusage: concord sim handset --link PATH/);
    expect((await run('contacts', 'export', '--format', 'xml', '--data', data)).err).toMatch(/--format must be json or vcf \(not "xml"\)\nusage: concord contacts export/);
  });

  it('refuses a missing value and a stray argument', async () => {
    const missing = await run('device', 'pair', 'syncml', 'Laptop', '--user');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--user needs a value\nusage: concord device pair syncml NAME --user U --password P/);
    const stray = await run('devices', 'list', 'extra', '--data', data);
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/unexpected argument extra/);
    expect((await run('device', 'pair', 'syncml', 'Laptop', '--user', 'bob', '--data', data)).err).toMatch(/--password is missing/);
    expect((await run('scenario', 'run')).err).toMatch(/a scenario file is missing\nusage: concord scenario run FILE\.\.\. \[--json\]/);
  });

  it('prints a command\'s usage on --help and the list of commands on help', async () => {
    const h = await run('devices', 'list', '--help');
    expect(h).toMatchObject({ code: 0, out: 'usage: concord devices list [--data DIR]\n' });
    const all = await run('help');
    expect(all.code).toBe(0);
    for (const w of ['serve', 'scenario run', 'contacts export', 'devices list', 'device pair syncml', 'sim handset']) expect(all.out).toContain(`  ${w}`);
    const unknown = await run('contacts', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "contacts frobnicate"/);
  });

  it('runs a command whose line is right', async () => {
    const r = await run('device', 'pair', 'syncml', 'Laptop', '--user', 'bob', '--password=pw', '--data', data);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/paired SyncML device "Laptop"/);
    expect((await run('devices', 'list', '--data', data)).out).toMatch(/\tLaptop\tsyncml\/lan\t/);
  });

  it('finds the command by its longest run of words', () => {
    expect(findCommand(['device', 'pair', 'syncml', 'x'])?.words).toEqual(['device', 'pair', 'syncml']);
    expect(findCommand(['device', 'pair'])).toBeUndefined();
  });

  it('checks the handset simulator\'s values', () => {
    expect(parseSimArgs(['--link', '/tmp/p', '--fill', 'SM:30,ME:40', '--baud', '9600'])).toMatchObject({ link: '/tmp/p', baud: 9600, fill: { SM: 30, ME: 40 } });
    expect(() => parseSimArgs(['--baud', '9600'])).toThrow(/--link is missing/);
    expect(() => parseSimArgs(['--link', '/tmp/p', '--fill', 'lots'])).toThrow(/--fill must be/);
    expect(() => parseSimArgs(['--link', '/tmp/p', '--charsets', 'EBCDIC'])).toThrow(/unknown charset EBCDIC/);
    expect(() => parseSimArgs(['--link', '/tmp/p', '--storage', 'SIM'])).toThrow(/--storage must be/);
  });

  it('parses serve\'s flags strictly too', () => {
    expect(parseServeArgs(['serve', '--lan-port', '8080', '--bogus'])).toBe('unknown option --bogus');
    expect(parseServeArgs(['--port', 'abc'])).toMatch(/--port must be a number from 0 to 65535/);
    expect(parseServeArgs(['--demo=yes'])).toMatch(/--demo takes no value/);
    expect(parseServeArgs(['serve', 'now'])).toMatch(/unexpected argument now/);
    expect(parseServeArgs(['--help'])).toBe('help');
  });
});
