// `concord contacts export` and `concord contacts import`: the truth out as vCard of the
// version asked for, and files of every version in as edits of the hub's editor.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planImport } from '../../../main/api/import';
import { parseCards } from '../../../main/api/vcard';
import { lockFile } from '../../../main/app/folder-lock';
import { startHost } from '../../../main/app/host';
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

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'vcard');
/** One file of several real cards of one version, as bytes (2.1 cards in other charsets too). */
function fileOf(dir: string, name: string, fixtures: string[]): string {
  const out = path.join(dir, name);
  writeFileSync(out, Buffer.concat(fixtures.map((f) => readFileSync(path.join(FIXTURES, f)))));
  return out;
}

describe('concord contacts import', () => {
  it('imports files of every version as edits of the editor, with the UI\'s duplicate handling and report', async () => {
    const data = tempDir('import');
    const files = tempDir('import-files');
    const v21 = fileOf(files, 'phone-21.vcf', ['nokia-6230i-21-qp-utf8.vcf', 'sonyericsson-k800i-21-latin1.vcf', 'siemens-s65-21-bare-qp.vcf']);
    const v30 = fileOf(files, 'book-30.vcf', ['addressbook-30-multi.vcf']);
    const v40 = fileOf(files, 'cloud-40.vcf', ['nextcloud-40-pref.vcf', 'thunderbird-40-emoji.vcf', 'radicale-40-types.vcf']);
    const expected = (f: string) => planImport({ contacts: () => [], region: () => 'GB' }, readFileSync(f)).preview.items.filter((i) => i.action === 'add').map((i) => i.name);

    let total = 0;
    for (const f of [v21, v30, v40]) {
      const names = expected(f);
      expect(names.length, f).toBeGreaterThanOrEqual(3);
      const r = await runCli('contacts', 'import', f, '--data', data);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      for (const n of names) expect(r.out).toContain(`  ${n}: New contact.`);
      expect(r.out).toMatch(new RegExp(`Added ${names.length}, updated 0, skipped 0\\.`));
      total += names.length;
    }
    expect(total).toBeGreaterThanOrEqual(9);
    const hub = Hub.open({ dataDir: data });
    const truth = hub.contacts().map((r) => r.contact.fn);
    await hub.close();
    expect(truth).toHaveLength(total);
    for (const n of ['Günther Müller', 'Emma Smith', 'Siobhán O\'Brien', 'Björn Åström']) expect(truth).toContain(n);

    // The same file again: every card a duplicate, nothing added.
    const again = await runCli('contacts', 'import', v30, '--data', data);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/skip\s+card 1\s+Emma Smith: Already in Concord as Emma Smith\./);
    expect(again.out).toMatch(/Added 0, updated 0, skipped 3\./);

    // A card that adds a number to a contact fills it in (an update), and --dry-run changes nothing.
    const more = path.join(files, 'more.vcf');
    writeFileSync(more, 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Emma Smith\r\nN:Smith;Emma;;;\r\nEMAIL:emma@example.co.uk\r\nTEL;TYPE=HOME:+44 20 7946 0999\r\nEND:VCARD\r\n');
    const dry = await runCli('contacts', 'import', more, '--dry-run', '--data', data);
    expect(dry.out).toMatch(/update\s+card 1\s+Emma Smith: Adds 1 number to Emma Smith\.\nWould add 0, update 1 and skip 0/);
    const h2 = Hub.open({ dataDir: data });
    const emmaBefore = h2.contacts().find((r) => r.contact.fn === 'Emma Smith')!.contact.tel.length;
    await h2.close();
    expect((await runCli('contacts', 'import', more, '--data', data)).out).toMatch(/Added 0, updated 1, skipped 0\./);
    const h3 = Hub.open({ dataDir: data });
    expect(h3.contacts().find((r) => r.contact.fn === 'Emma Smith')!.contact.tel).toHaveLength(emmaBefore + 1);
    await h3.close();
  });

  it('reports cards it cannot read and a file without cards', async () => {
    const data = tempDir('import-bad');
    const files = tempDir('import-bad-files');
    const f = path.join(files, 'mixed.vcf');
    writeFileSync(f, 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:9.9\r\nFN:Bad\r\nEND:VCARD\r\n');
    const r = await runCli('contacts', 'import', f, '--data', data);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/Card 2 could not be read/);
    expect(r.out).toMatch(/Added 1,/);
    const none = path.join(files, 'none.vcf');
    writeFileSync(none, 'hello\n');
    expect((await runCli('contacts', 'import', none, '--data', data))).toMatchObject({ code: 1 });
    expect((await runCli('contacts', 'import', path.join(files, 'missing.vcf'), '--data', data)).err).toMatch(/cannot read .*missing\.vcf: no such file/);
  });

  it('refuses to run while a hub owns the folder, and takes over a lock its hub left behind', async () => {
    const data = tempDir('import-locked');
    const files = tempDir('import-locked-files');
    const v30 = fileOf(files, 'book-30.vcf', ['addressbook-30-multi.vcf']);
    const host = await startHost({ dataDir: data, phones: false, log: () => undefined });
    try {
      const r = await runCli('contacts', 'import', v30, '--data', data);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/is in use by a running Concord hub \(process \d+\)\. Stop it first .* or import the file in its UI/);
      expect(host.hub.contacts()).toHaveLength(0);
    } finally {
      await host.close();
    }
    // A hub that died without releasing the folder (its process is gone).
    writeFileSync(lockFile(data), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: 0 }));
    const r = await runCli('contacts', 'import', v30, '--data', data);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(existsSync(lockFile(data))).toBe(false);
  });
});
