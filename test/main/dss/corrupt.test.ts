// A corrupt DSS file is reported (DssError 'corrupt', from the integrity check or SQLite's
// own refusal), never silently replaced: afterwards the file is still there, byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DssError, openDb } from '../../../main/dss/db';
import { Dss } from '../../../main/dss/store';
import { Hub } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(TMP, 'concord-dss-corrupt-'));
  file = path.join(dir, 'concord.sqlite');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Every way in refuses the file with DssError 'corrupt' and a message that says so and
 *  names the file; the file is left exactly as it was and no new DSS appears beside it. */
function expectReportedAndUntouched(): void {
  const before = sha(file);
  const size = fs.statSync(file).size;
  const attempts: [string, () => unknown][] = [
    ['openDb', () => openDb(file)],
    ['Dss.open', () => Dss.open(file)],
    ['Hub.open', () => Hub.open({ dataDir: dir, region: 'GB' })],
  ];
  for (const [how, fn] of attempts) {
    let err: unknown;
    let opened: unknown;
    try {
      opened = fn();
    } catch (e) {
      err = e;
    }
    if (opened) {
      // Close what was wrongly opened so the temp folder can go.
      if (opened instanceof Hub) opened.dss.close();
      else if (opened instanceof Dss) opened.close();
      else (opened as { close(): void }).close();
    }
    expect(err, `${how} opened a corrupt DSS`).toBeInstanceOf(DssError);
    expect((err as DssError).code, `${how}: ${(err as Error).message}`).toBe('corrupt');
    expect((err as DssError).message).toMatch(/damaged/);
    expect((err as DssError).message).toContain(file);
    expect(fs.existsSync(file), `${how} removed the file`).toBe(true);
    expect(fs.statSync(file).size, `${how} changed the file's size`).toBe(size);
    expect(sha(file), `${how} changed the file's bytes`).toBe(before);
  }
  // Nothing was created in its place (no second database beside it).
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite'))).toEqual(['concord.sqlite']);
}

/** A real DSS with a few hundred contacts, the truth spread over many pages. */
async function realDss(): Promise<void> {
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  for (let i = 0; i < 400; i++) {
    hub.editor.add({ fn: `Contact ${i} ${'x'.repeat(i % 50)}`, tel: [{ type: 'cell', value: `020 7${String(i).padStart(3, '0')} 1000` }], note: `note ${i}` });
  }
  const run = await hub.sync([]);
  expect(run.outcome).toBe('ok');
  expect(hub.contacts()).toHaveLength(400);
  await hub.close();
  expect(fs.existsSync(`${file}-wal`)).toBe(false); // all in the main file now
}

/** The page number of a leaf of `table` (its root's rightmost child when the root is an
 *  interior page), read through a clean connection. */
function leafPageOf(table: string): { page: number; pageSize: number } {
  const db = openDb(file);
  try {
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").pluck().get(table) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const bytes = fs.readFileSync(file);
    const at = (root - 1) * pageSize;
    const type = bytes[at]!;
    // 0x05: interior table page; its header holds the rightmost child at offset 8.
    const page = type === 0x05 ? bytes.readUInt32BE(at + 8) : root;
    expect(bytes[(page - 1) * pageSize]).toBe(0x0d); // a table leaf
    return { page, pageSize };
  } finally {
    db.close();
  }
}

describe('a corrupt DSS is reported, never replaced', () => {
  it('a file of garbage bytes', () => {
    fs.writeFileSync(file, randomBytes(64 * 1024));
    expectReportedAndUntouched();
  });

  it('a file of garbage behind a valid SQLite header', () => {
    const bytes = randomBytes(64 * 1024);
    Buffer.from('SQLite format 3\0').copy(bytes, 0);
    fs.writeFileSync(file, bytes);
    expectReportedAndUntouched();
  });

  it('a real DSS with bytes overwritten in the middle of a page of the truth', async () => {
    await realDss();
    const { page, pageSize } = leafPageOf('truth');
    const fd = fs.openSync(file, 'r+');
    try {
      const buf = Buffer.alloc(pageSize);
      fs.readSync(fd, buf, 0, pageSize, (page - 1) * pageSize);
      // The cell nearest the middle of the page: overwrite its start (payload size, rowid,
      // record header) and what follows with 0xFF, as a torn or bit-rotted sector would.
      const cells = buf.readUInt16BE(3);
      let cell = 0;
      for (let i = 0; i < cells; i++) {
        const off = buf.readUInt16BE(8 + 2 * i);
        if (Math.abs(off - pageSize / 2) < Math.abs(cell - pageSize / 2)) cell = off;
      }
      expect(cell).toBeGreaterThan(0);
      fs.writeSync(fd, Buffer.alloc(48, 0xff), 0, 48, (page - 1) * pageSize + cell);
    } finally {
      fs.closeSync(fd);
    }
    expectReportedAndUntouched();
  });

  it('a real DSS whose middle pages were zeroed (a lost write of a whole block)', async () => {
    await realDss();
    const { page, pageSize } = leafPageOf('truth');
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, Buffer.alloc(pageSize), 0, pageSize, (page - 1) * pageSize);
    } finally {
      fs.closeSync(fd);
    }
    expectReportedAndUntouched();
  });

  it('a real DSS cut short (truncated to half its pages)', async () => {
    await realDss();
    const pageSize = 4096;
    const pages = fs.statSync(file).size / pageSize;
    fs.truncateSync(file, Math.floor(pages / 2) * pageSize);
    expectReportedAndUntouched();
  });

  it('the untouched DSS, by contrast, opens and keeps its contacts', async () => {
    await realDss();
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    try {
      expect(hub.contacts()).toHaveLength(400);
    } finally {
      await hub.close();
    }
  });
});
