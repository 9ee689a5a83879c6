// `concord contacts export` and `concord contacts import`: the truth out as vCard of the
// version asked for, and files of every version in as edits of the hub's editor.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCards } from '../../../main/api/vcard';
import { Hub } from '../../../main/hub/hub';
import { runCli } from './run';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (name: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), `concord-cli-${name}-`));
  dirs.push(d);
  return d;
};

describe('concord contacts export --format vcf', () => {
  it('writes the version asked for, each card parsing back to its contact', async () => {
    const data = tempDir('export');
    const hub = Hub.open({ dataDir: data, region: 'GB' });
    hub.editor.add({ fn: 'Zoë Adams', tel: [{ type: 'cell', value: '07700 900126' }] });
    hub.editor.add({ fn: 'Ben Carter', n: ['Carter', 'Ben'], email: [{ type: 'work', value: 'ben@example.com' }] });
    await hub.sync([]);
    const truth = hub.contacts();
    await hub.close();

    for (const v of ['2.1', '3.0', '4.0']) {
      const r = await runCli('contacts', 'export', '--format', 'vcf', '--vcard-version', v, '--data', data);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out.match(/^VERSION:[^\r]*/gm)).toEqual([`VERSION:${v}`, `VERSION:${v}`]);
      const back = parseCards(r.out);
      expect(back.errors).toEqual([]);
      expect(back.contacts.map((c) => c.contact.fn).sort()).toEqual(truth.map((t) => t.contact.fn).sort());
      expect(r.out).toContain(v === '2.1' ? 'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Adams;Zo=C3=AB;;;' : 'N:Adams;Zoë;;;');
      if (v === '2.1') expect(r.out).toContain('TEL;CELL;VOICE:+447700900126');
    }
    expect((await runCli('contacts', 'export', '--format', 'vcf', '--data', data)).out).toMatch(/^VERSION:3\.0\r$/m);
    const bad = await runCli('contacts', 'export', '--format', 'vcf', '--vcard-version', '5.0', '--data', data);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--vcard-version must be 2\.1, 3\.0 or 4\.0 \(not "5\.0"\)/);
    expect((await runCli('contacts', 'export', '--vcard-version', '2.1', '--data', data)).err).toMatch(/--vcard-version needs --format vcf/);
  });
});
