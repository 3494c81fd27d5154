import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '#root/services/demo.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

// The report a unit sent as evidence (Telegram or Zalo, copied to STORAGE_DIR) is what an
// administrator checks before the consolidated report: the obligation's page lets them download it.
describe('evidence files on the obligation page', () => {
  let w: WebTest;
  let storage: string;
  const db = () => w.t.prisma;

  beforeAll(async () => {
    storage = await mkdtemp(path.join(tmpdir(), 'dondoc-web-evidence-'));
    w = await startWebTest({ env: { STORAGE_DIR: storage } });
  }, 90_000);
  afterAll(async () => {
    await w?.stop();
    await rm(storage, { recursive: true, force: true });
  });

  const evidenceOf = async (
    orgId: string,
    unit: string,
    file: { name: string; storagePath: string | null; bytes?: Buffer },
  ) => {
    const o = await db().obligation.findFirstOrThrow({
      where: { orgId, unit: { name: unit }, duty: { code: 'BC-15/11' } },
    });
    const contact = await db().contact.findFirstOrThrow({ where: { unitId: o.unitId } });
    if (file.storagePath && file.bytes) {
      await mkdir(path.dirname(path.join(storage, file.storagePath)), { recursive: true });
      await writeFile(path.join(storage, file.storagePath), file.bytes);
    }
    const e = await db().evidence.create({
      data: {
        orgId,
        obligationId: o.id,
        contactId: contact.id,
        via: 'telegram',
        fileId: `f-${file.name}`,
        fileName: file.name,
        size: file.bytes?.length ?? 1234,
        storagePath: file.storagePath,
      },
    });
    return { o, e };
  };

  it('downloads a kept file under its own name, always as an attachment, never rendered', async () => {
    // A file that is HTML inside: served as bytes to save, not as a page of ours.
    const bytes = Buffer.from('<html><script>alert(1)</script>Báo cáo năm 2026</html>');
    const { o, e } = await evidenceOf(w.orgId, 'Sở Y tế', {
      name: 'Báo cáo "năm" 2026.html',
      storagePath: 'evidence/yte/bao-cao.html',
      bytes,
    });
    const page = await w.client.get(`/admin/obligations/${o.id}`);
    expect(page.text).toContain(`<a href="/admin/evidence/${e.id}" download>Báo cáo &quot;năm&quot; 2026.html</a>`);

    const res = await fetch(new URL(`/admin/evidence/${e.id}`, w.base), {
      headers: { cookie: [...w.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Bao cao _nam_ 2026.html"; filename*=UTF-8''${encodeURIComponent('Báo cáo "năm" 2026.html')}`,
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('says so when no copy is kept or the copy is gone; refuses another organisation’s, and anyone without a session', async () => {
    const { o, e: notKept } = await evidenceOf(w.orgId, 'Sở Tư pháp', { name: 'anh-chup.jpg', storagePath: null });
    expect((await w.client.get(`/admin/obligations/${o.id}`)).text).toContain(
      'anh-chup.jpg <span class="muted">(không lưu bản sao)</span>',
    );
    const none = await w.client.get(`/admin/evidence/${notKept.id}`);
    expect(none.status).toBe(404);
    expect(none.text).toContain('Không tìm thấy tệp minh chứng này');

    const { e: gone } = await evidenceOf(w.orgId, 'Sở Nội vụ', {
      name: 'da-xoa.pdf',
      storagePath: 'evidence/noivu/da-xoa.pdf',
    });
    const missing = await w.client.get(`/admin/evidence/${gone.id}`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Tệp minh chứng này không còn được lưu');

    await seedDemo(db(), { orgCode: 'hn-evidence', timeZone: 'Asia/Ho_Chi_Minh', now: w.s.clock.now(), actor: 'test' });
    const other = await db().organisation.findUniqueOrThrow({ where: { code: 'hn-evidence' } });
    const { e: foreign } = await evidenceOf(other.id, 'Sở Y tế', {
      name: 'cua-ha-noi.pdf',
      storagePath: 'evidence/hn/cua-ha-noi.pdf',
      bytes: Buffer.from('%PDF-1.4 Hà Nội'),
    });
    for (const p of [
      `/admin/evidence/${foreign.id}`,
      '/admin/evidence/not-an-id',
      '/admin/evidence/..%2F..%2Fetc%2Fpasswd',
    ]) {
      const res = await w.client.get(p);
      expect(res.status, p).toBe(404);
      expect(res.text).not.toContain('PDF-1.4');
    }
    const stranger = await w.newClient().get(`/admin/evidence/${foreign.id}`);
    expect(stranger.status).toBe(303);
    expect(stranger.location).toMatch(/^\/login/);
  });

  it('never serves a path outside the storage directory, whatever the row says', async () => {
    await writeFile(path.join(path.dirname(storage), 'outside-dondoc.txt'), 'bí mật');
    const { e } = await evidenceOf(w.orgId, 'Sở Công Thương', { name: 'x.txt', storagePath: '../outside-dondoc.txt' });
    const res = await w.client.get(`/admin/evidence/${e.id}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('bí mật');
    await rm(path.join(path.dirname(storage), 'outside-dondoc.txt'), { force: true });
  });
});
