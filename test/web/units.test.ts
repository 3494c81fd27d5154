import { GrammyError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramDeliveryError } from '#root/channels/telegram/errors.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { hashInviteCode } from '#root/services/contacts.js';
import { listObligations } from '#root/services/obligations.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const BOT = 'dondoc_thu_bot';
const SO_TTTT = 'Sở Thông tin và Truyền thông';

describe('the units pages', () => {
  let w: WebTest;
  let tttt: { id: string; name: string };
  let otherUnitId: string;
  const actor = () => `web:${w.admin.email}`;

  beforeAll(async () => {
    w = await startWebTest({ env: { TELEGRAM_BOT_USERNAME: BOT } });
    tttt = await w.t.prisma.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: SO_TTTT } });
    // Another organisation, with a unit of its own: its ids must name nothing here.
    const other = await w.t.prisma.organisation.create({ data: { code: 'hn', name: 'Hà Nội' } });
    otherUnitId = (
      await w.t.prisma.unit.create({
        data: { orgId: other.id, name: 'Sở Bí Mật Hà Nội', normalized: 'so bi mat ha noi' },
      })
    ).id;
  }, 90_000);
  afterAll(async () => w?.stop());

  describe('the list', () => {
    it('lists every unit with its aliases, groups and number of contacts, linked to its page', async () => {
      const res = await w.client.get('/admin/units');
      expect(res.status).toBe(200);
      const units = await w.t.prisma.unit.findMany({
        where: { orgId: w.orgId },
        include: { _count: { select: { contacts: true } } },
      });
      for (const u of units) expect(res.text).toContain(`<a href="/admin/units/${u.id}">`);
      expect(res.text).toContain(`${units.length} đơn vị`);
      // The Sở TTTT row: two contacts (its sandbox contact and the administrator), member of "Các sở, ban, ngành".
      const row = rowOf(res.text, tttt.id);
      expect(row).toContain(SO_TTTT);
      expect(row).toContain('Các sở, ban, ngành');
      expect(row).toMatch(/<td[^>]*>2<\/td>|<td[^>]*>2 /);
      expect(res.text).not.toContain('Sở Bí Mật Hà Nội');
    });

    it('filters by name or alias, ignoring case and diacritics', async () => {
      const res = await w.client.get(`/admin/units?q=${encodeURIComponent('TU PHAP')}`);
      expect(res.text).toContain('Sở Tư pháp');
      expect(res.text).not.toContain('Sở Y tế');
      expect(res.text).toContain('value="TU PHAP"');
    });

    it('flags a unit whose contact has no working channel', async () => {
      const yte = await w.t.prisma.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
      await w.t.prisma.contact.updateMany({ where: { unitId: yte.id }, data: { disabledChannels: ['sandbox'] } });
      const row = rowOf((await w.client.get('/admin/units')).text, yte.id);
      expect(row).toContain('1 không liên lạc được');
      expect(rowOf((await w.client.get('/admin/units')).text, tttt.id)).not.toContain('không liên lạc được');
      await w.t.prisma.contact.updateMany({ where: { unitId: yte.id }, data: { disabledChannels: [] } });
    });

    it('flags the units with duties and no head, whose first escalation goes to the administrators', async () => {
      const yte = await w.t.prisma.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
      const head = await w.t.prisma.contact.create({
        data: { orgId: w.orgId, unitId: tttt.id, name: 'Giám đốc Sở TTTT', role: 'head', channels: ['sandbox'] },
      });
      try {
        const page = (await w.client.get('/admin/units')).text;
        expect(rowOf(page, yte.id)).toContain('chưa có lãnh đạo nhận chuyển cấp');
        expect(rowOf(page, tttt.id)).not.toContain('chưa có lãnh đạo');
        const headless = await w.t.prisma.unit.count({
          where: {
            orgId: w.orgId,
            active: true,
            obligations: { some: { current: true } },
            contacts: { none: { role: 'head', active: true } },
          },
        });
        expect(headless).toBeGreaterThan(1);
        expect(page).toContain(
          `${headless} đơn vị chưa có lãnh đạo nhận chuyển cấp: lần chuyển cấp thứ nhất của các đơn vị này gửi thẳng quản trị viên và giám sát.`,
        );
      } finally {
        await w.t.prisma.contact.delete({ where: { id: head.id } });
      }
    });

    it('marks a proposed unit and accepts it, audited', async () => {
      const p = await w.t.prisma.unit.create({
        data: {
          orgId: w.orgId,
          name: 'Trung tâm Thử nghiệm Đề xuất',
          normalized: 'trung tam thu nghiem de xuat',
          proposed: true,
        },
      });
      const row = rowOf((await w.client.get('/admin/units')).text, p.id);
      expect(row).toContain('đề xuất');
      expect(row).toContain(`action="/admin/units/${p.id}/accept"`);
      const res = await w.client.post(`/admin/units/${p.id}/accept`);
      expect(res.status).toBe(303);
      expect((await w.t.prisma.unit.findUniqueOrThrow({ where: { id: p.id } })).proposed).toBe(false);
      const audit = await w.t.prisma.auditEvent.findMany({
        where: { orgId: w.orgId, action: 'unit.accept', entityId: p.id },
      });
      expect(audit.map((a) => a.actor)).toEqual([actor()]);
      expect((await w.client.get('/admin/units')).text).toContain('Đã chấp nhận đơn vị «Trung tâm Thử nghiệm Đề xuất»');
      // A proposed group is accepted the same way.
      const g = await w.t.prisma.unitGroup.create({
        data: { orgId: w.orgId, name: 'Nhóm Thử Đề Xuất', normalized: 'nhom thu de xuat', proposed: true },
      });
      expect(rowOf((await w.client.get('/admin/units')).text, g.id)).toContain('chưa có thành viên');
      expect((await w.client.post(`/admin/units/groups/${g.id}/accept`)).status).toBe(303);
      expect((await w.t.prisma.unitGroup.findUniqueOrThrow({ where: { id: g.id } })).proposed).toBe(false);
      expect(
        await w.t.prisma.auditEvent.count({ where: { action: 'group.accept', entityId: g.id, actor: actor() } }),
      ).toBe(1);
      // Accepting another organisation's unit: not found, nothing changed.
      const forged = await w.client.post(`/admin/units/${otherUnitId}/accept`);
      expect(forged.status).toBe(404);
      expect(await w.t.prisma.auditEvent.count({ where: { action: 'unit.accept', entityId: otherUnitId } })).toBe(0);
    });

    it('adds a unit with aliases, audited, and escapes HTML in its name wherever it shows', async () => {
      const name = '<script>alert(1)</script> Ban Thử & Nghiệm';
      const res = await w.client.post('/admin/units', { name, aliases: 'BTN; Ban TN' });
      expect(res.status).toBe(303);
      const unit = await w.t.prisma.unit.findFirstOrThrow({
        where: { orgId: w.orgId, name },
        include: { aliases: true },
      });
      expect(res.location).toBe(`/admin/units/${unit.id}`);
      expect(unit.aliases.map((a) => a.alias).sort()).toEqual(['BTN', 'Ban TN']);
      expect(
        await w.t.prisma.auditEvent.count({ where: { action: 'unit.create', entityId: unit.id, actor: actor() } }),
      ).toBe(1);
      for (const page of [await w.client.get(res.location!), await w.client.get('/admin/units')]) {
        expect(page.status).toBe(200);
        expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Ban Thử &amp; Nghiệm');
        expect(page.text).not.toContain('<script>alert(1)');
      }
    });

    it('refuses a unit without a name, or with a name already taken, creating nothing', async () => {
      const before = await w.t.prisma.unit.count();
      const audits = await w.t.prisma.auditEvent.count();
      const empty = await w.client.post('/admin/units', { name: '   ' });
      expect(empty.status).toBe(400);
      expect(empty.text).toContain('Tên không được để trống.');
      expect(empty.text).toContain('Không có gì thay đổi');
      const taken = await w.client.post('/admin/units', { name: 'SỞ TƯ PHÁP' });
      expect(taken.status).toBe(400);
      expect(taken.text).toContain('đã dùng cho «Sở Tư pháp»');
      expect(await w.t.prisma.unit.count()).toBe(before);
      expect(await w.t.prisma.auditEvent.count()).toBe(audits);
    });

    it('refuses another name longer than a unit’s name may be, instead of saving its beginning', async () => {
      const aliases = await w.t.prisma.unitAlias.count();
      const audits = await w.t.prisma.auditEvent.count();
      const long = 'Sở Thông tin '.repeat(40).trim();
      const onCreate = await w.client.post('/admin/units', { name: 'Ban Tên Dài', aliases: long });
      expect(onCreate.status).toBe(400);
      expect(onCreate.text).toContain('Tên khác quá dài (tối đa 300 ký tự).');
      const onPage = await w.client.post(`/admin/units/${tttt.id}/aliases`, { alias: long });
      expect(onPage.status).toBe(400);
      expect(onPage.text).toContain('Tên khác quá dài (tối đa 300 ký tự).');
      expect(await w.t.prisma.unit.count({ where: { name: 'Ban Tên Dài' } })).toBe(0);
      expect(await w.t.prisma.unitAlias.count()).toBe(aliases);
      expect(await w.t.prisma.auditEvent.count()).toBe(audits);
    });
  });

  describe('a unit’s page', () => {
    it('shows its contacts with their channels, and its obligations of the year with their states', async () => {
      const res = await w.client.get(`/admin/units/${tttt.id}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`<h1>${SO_TTTT}`);
      expect(res.text).toContain('Đầu mối Sở Thông tin và Truyền thông');
      expect(res.text).toContain('Quản trị viên Sở TTTT (demo)');
      expect(res.text).toContain('Quản trị</td>');
      const rows = await listObligations(w.t.prisma, w.orgId, yearWindow(2026), { unitId: tttt.id });
      expect(rows.length).toBeGreaterThan(0);
      // The year's obligations, 15 a page (issue 16: long lists paged), the open ones first.
      let all = '';
      for (let page = 1; page <= Math.ceil(rows.length / 15); page++)
        all += (await w.client.get(`/admin/units/${tttt.id}?year=2026&page=${page}`)).text;
      for (const o of rows) expect(all).toContain(`<a href="/admin/obligations/${o.id}">${o.duty}</a>`);
      // The clock is 16/11/2026: what was due on 15/11 and is still open is overdue.
      const overdue = rows.filter((o) => o.status === 'open' && (o.extendedTo ?? o.dueAt) < w.s.clock.now());
      expect(overdue.length).toBeGreaterThan(0);
      expect(all.match(/<td class="s-overdue">Quá hạn<\/td>/g)?.length).toBe(overdue.length);
    });

    it('marks a channel that failed for good and whether Telegram and Zalo are linked', async () => {
      const c = await w.t.prisma.contact.create({
        data: {
          orgId: w.orgId,
          unitId: tttt.id,
          name: 'Trần Thị Kênh Lỗi',
          email: 'loi@example.vn',
          channels: ['email', 'telegram'],
          disabledChannels: ['email'],
          telegramChatId: 4242n,
        },
      });
      const text = rowOf((await w.client.get(`/admin/units/${tttt.id}`)).text, c.id);
      expect(text).toContain('<s>Email</s>');
      expect(text).not.toMatch(/<s>email<\/s>|→ telegram/);
      // No record of why (none kept): what to check and how to retry.
      expect(text).toContain('(lỗi: kênh báo lỗi khi gửi cho người này — kiểm tra địa chỉ');
      expect(text).toContain(' → Telegram');
      expect(text).toMatch(/<td[^>]*>đã liên kết<\/td>\s*<td[^>]*><span class="muted">chưa<\/span><\/td>/);
      expect(text).toContain('loi@example.vn');
      await w.t.prisma.contact.delete({ where: { id: c.id } });
    });

    it('says what happened to a failed channel and what to do, in the page’s language, never the channel’s answer', async () => {
      // The reason as the fallback keeps it: the channel's own answer, from its real error.
      const blocked = telegramDeliveryError(
        new GrammyError(
          'Call to sendMessage failed',
          { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
          'sendMessage',
          {},
        ),
      );
      expect(blocked.permanent && blocked.scope).toBe('address');
      const c = await w.t.prisma.contact.create({
        data: {
          orgId: w.orgId,
          unitId: tttt.id,
          name: 'Lê Văn Chặn Bot',
          channels: ['telegram', 'zalo'],
          disabledChannels: ['telegram', 'zalo'],
          telegramChatId: 4244n,
          zaloUserId: 'zl-blocked',
        },
      });
      const failed = (channel: string, reason: string) =>
        w.t.prisma.auditEvent.create({
          data: {
            orgId: w.orgId,
            actor: 'system',
            action: 'contact.channel-disabled',
            entity: 'contact',
            entityId: c.id,
            data: { channel, reason },
          },
        });
      // An older failure of Telegram, then the one that counts.
      await failed('telegram', 'Telegram 403: Forbidden: user is deactivated');
      const event = await failed('telegram', blocked.message);
      await failed('zalo', 'Zalo 404: Not found');
      const vi = rowOf((await w.client.get(`/admin/units/${tttt.id}`)).text, c.id);
      expect(vi).toContain(
        '<s>Telegram</s> <span class="flag">(lỗi: người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start)</span>',
      );
      expect(vi).toContain('(lỗi: Zalo không tìm thấy người nhận');
      const en = w.newClient();
      en.cookies.set('lang', 'en');
      await en.login(w.admin.email, w.admin.password);
      const enRow = rowOf((await en.get(`/admin/units/${tttt.id}`)).text, c.id);
      expect(enRow).toContain('(failed: the recipient blocked the bot — ask them to reopen it and send /start)');
      expect(enRow).toContain('(failed: Zalo cannot find the recipient');
      // The audit log's line says it in words too (its folded details keep the record's data).
      const log = (await en.get('/admin/audit')).text;
      const at = log.indexOf(`<tr id="a${event.id.toString()}">`);
      expect(at).toBeGreaterThan(-1);
      const line = log.slice(at, log.indexOf('class="tech"', at));
      expect(line).not.toMatch(/Forbidden|bot was blocked/);
      expect(line).toContain('Reason: the recipient blocked the bot — ask them to reopen it and send /start');
      // The units list counts the contacts no channel reaches, this one among them, noun agreeing.
      const [, gone, who] = /; (\d+) (contacts?) unreachable/.exec((await en.get('/admin/units')).text) ?? [];
      expect(who).toBe(gone === '1' ? 'contact' : 'contacts');
      // Which channel was turned off, named as the pages name it.
      expect(line).toContain('disabled the failing Telegram channel of');
      const viLog = (await w.client.get('/admin/audit')).text;
      const viAt = viLog.indexOf(`<tr id="a${event.id.toString()}">`);
      expect(viLog.slice(viAt, viLog.indexOf('class="tech"', viAt))).toContain('đã tắt kênh Telegram bị lỗi của');
      // An address the contact has not got (a webhook here) says so, not an empty cell (a bare label on a phone).
      expect(vi).toMatch(/<td data-label="Webhook"><span class="muted">chưa có<\/span><\/td>/);
      expect(enRow).toMatch(/<td data-label="Webhook"><span class="muted">none<\/span><\/td>/);
      for (const row of [vi, enRow])
        expect(row).not.toMatch(/Forbidden|bot was blocked|Not found|Telegram 403|Zalo 404/);
      await w.t.prisma.auditEvent.deleteMany({ where: { entityId: c.id } });
      await w.t.prisma.contact.delete({ where: { id: c.id } });
    });

    it('sets a contact’s channels from the unit page: a failed one chosen again works again, audited; bad ones change nothing', async () => {
      const c = await w.t.prisma.contact.create({
        data: {
          orgId: w.orgId,
          unitId: tttt.id,
          name: 'Phạm Văn Đổi Kênh',
          email: 'doi@example.vn',
          channels: ['email', 'telegram'],
          disabledChannels: ['email'],
          telegramChatId: 4343n,
          unreachableSince: w.s.clock.now(),
        },
      });
      const page = await w.client.get(`/admin/units/${tttt.id}`);
      expect(rowOf(page.text, c.id)).toContain(`action="/admin/units/${tttt.id}/contacts/${c.id}/channels"`);
      // The field holds the channels as the page names them, and takes them back as they are.
      expect(rowOf(page.text, c.id)).toContain('value="Email, Telegram"');
      const labels = await w.client.post(`/admin/units/${tttt.id}/contacts/${c.id}/channels`, {
        channels: 'Hộp thư thử → Email, Telegram',
      });
      expect(labels.status).toBe(303);
      expect((await w.t.prisma.contact.findUniqueOrThrow({ where: { id: c.id } })).channels).toEqual([
        'sandbox',
        'email',
        'telegram',
      ]);
      expect((await w.client.get(labels.location!)).text).toContain('value="Hộp thư thử, Email, Telegram"');
      await w.t.prisma.contact.update({
        where: { id: c.id },
        data: { channels: ['email', 'telegram'], disabledChannels: ['email'], unreachableSince: w.s.clock.now() },
      });

      const res = await w.client.post(`/admin/units/${tttt.id}/contacts/${c.id}/channels`, {
        channels: 'telegram, thư',
      });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/admin/units/${tttt.id}`);
      expect(await w.t.prisma.contact.findUniqueOrThrow({ where: { id: c.id } })).toMatchObject({
        channels: ['telegram', 'email'],
        disabledChannels: [],
        unreachableSince: null,
      });
      expect((await w.client.get(res.location!)).text).toContain(
        'Đã đổi kênh của Phạm Văn Đổi Kênh: Telegram → Email.',
      );
      expect(
        await w.t.prisma.auditEvent.findFirst({
          where: { action: 'contact.channels', entityId: c.id, actor: actor() },
        }),
      ).not.toBeNull();

      const audits = await w.t.prisma.auditEvent.count();
      for (const [channels, message] of [
        ['fax', 'Kênh không hợp lệ'],
        ['', 'Kênh không hợp lệ'],
      ] as const) {
        const bad = await w.client.post(`/admin/units/${tttt.id}/contacts/${c.id}/channels`, { channels });
        expect(bad.status, channels).toBe(400);
        expect(bad.text).toContain(message);
      }
      // A contact of another unit, through this unit's page: not found, unchanged.
      const other = await w.t.prisma.contact.findFirstOrThrow({ where: { orgId: w.orgId, NOT: { unitId: tttt.id } } });
      const forged = await w.client.post(`/admin/units/${tttt.id}/contacts/${other.id}/channels`, {
        channels: 'sandbox',
      });
      expect(forged.status).toBe(404);
      expect((await w.t.prisma.contact.findUniqueOrThrow({ where: { id: other.id } })).channels).toEqual(
        other.channels,
      );
      expect(await w.t.prisma.auditEvent.count()).toBe(audits);
      await w.t.prisma.contact.delete({ where: { id: c.id } });
    });

    it('adds a contact to the unit, audited', async () => {
      const res = await w.client.post(`/admin/units/${tttt.id}/contacts`, {
        name: 'Nguyễn Văn An',
        role: 'head',
        email: 'an@sotttt.example.vn',
        channels: 'email, Hộp thư thử',
        locale: 'vi',
      });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/admin/units/${tttt.id}`);
      const c = await w.t.prisma.contact.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Nguyễn Văn An' } });
      expect(c).toMatchObject({
        unitId: tttt.id,
        role: 'head',
        email: 'an@sotttt.example.vn',
        channels: ['email', 'sandbox'],
      });
      const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
        where: { action: 'contact.create', entityId: c.id },
      });
      expect(audit.actor).toBe(actor());
      const page = await w.client.get(res.location!);
      expect(page.text).toContain('Đã thêm người liên hệ «Nguyễn Văn An»');
      expect(rowOf(page.text, c.id)).toContain('Lãnh đạo đơn vị');
    });

    it('refuses a contact without a name, with a bad email or an unknown channel, creating nothing', async () => {
      const contacts = await w.t.prisma.contact.count();
      const audits = await w.t.prisma.auditEvent.count();
      const cases: [Record<string, string>, string][] = [
        [{ name: '  ' }, 'Cần tên người liên hệ'],
        [{ name: 'Lê Văn B', email: 'không-phải-email' }, 'không hợp lệ'],
        [{ name: 'Lê Văn B', channels: 'fax' }, 'Kênh không hợp lệ'],
        [{ name: 'Lê Văn B', channels: 'email' }, 'Kênh Email cần một địa chỉ.'],
        [{ name: 'Lê Văn B', role: 'boss' }, 'Vai trò «boss» không hợp lệ'],
      ];
      for (const [form, message] of cases) {
        const res = await w.client.post(`/admin/units/${tttt.id}/contacts`, form);
        expect(res.status, JSON.stringify(form)).toBe(400);
        expect(res.text).toContain(message);
      }
      expect(await w.t.prisma.contact.count()).toBe(contacts);
      expect(await w.t.prisma.auditEvent.count()).toBe(audits);
    });

    it('creates an invite with the Telegram deep link, its QR code and the Zalo instruction, audited', async () => {
      const c = await w.t.prisma.contact.findFirstOrThrow({ where: { unitId: tttt.id, name: `Đầu mối ${SO_TTTT}` } });
      const res = await w.client.post(`/admin/units/${tttt.id}/contacts/${c.id}/invite`);
      expect(res.status).toBe(200);
      const code = new RegExp(`https://t\\.me/${BOT}\\?start=([A-Za-z0-9_-]{22})`).exec(res.text)?.[1];
      expect(code).toBeDefined();
      expect(res.text).toContain(`<code>/start ${code}</code>`);
      expect(res.text).toContain(`https://t.me/${BOT}?startgroup=${code}`);
      const svg = /<svg[^>]*>[\s\S]*?<\/svg>/.exec(res.text)?.[0];
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg).toContain('<path');
      // Only the code's hash is stored, valid for the configured 72 hours.
      const invite = await w.t.prisma.invite.findUniqueOrThrow({ where: { code: hashInviteCode(code!) } });
      expect(invite.contactId).toBe(c.id);
      expect(invite.expiresAt.getTime() - w.s.clock.now().getTime()).toBe(72 * 3_600_000);
      expect(await w.t.prisma.invite.count({ where: { code: code! } })).toBe(0);
      const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
        where: { action: 'invite.create', entityId: invite.id },
      });
      expect(audit.actor).toBe(actor());
      // The unit's history shows it, newest first.
      const page = await w.client.get(`/admin/units/${tttt.id}`);
      const history = page.text.slice(page.text.indexOf('id="history"'));
      expect(history.indexOf('invite.create')).toBeGreaterThan(0);
      expect(history.indexOf('invite.create')).toBeLessThan(history.indexOf('contact.create'));
    });

    it('refuses an invite for a contact of another unit through this unit’s page, creating nothing', async () => {
      const yte = await w.t.prisma.unit.findFirstOrThrow({
        where: { orgId: w.orgId, name: 'Sở Y tế' },
        include: { contacts: true },
      });
      const before = await w.t.prisma.invite.count();
      const res = await w.client.post(`/admin/units/${tttt.id}/contacts/${yte.contacts[0]!.id}/invite`);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('t.me/');
      expect(await w.t.prisma.invite.count()).toBe(before);
    });

    it('answers 404 for another organisation’s unit or a malformed id, showing and changing nothing', async () => {
      const contacts = await w.t.prisma.contact.count();
      for (const id of [otherUnitId, 'not-a-uuid', '00000000-0000-0000-0000-000000000000', "1' OR '1'='1"]) {
        const res = await w.client.get(`/admin/units/${encodeURIComponent(id)}`);
        expect(res.status, id).toBe(404);
        expect(res.text).toContain('Không tìm thấy đơn vị này');
        expect(res.text).not.toContain('Sở Bí Mật Hà Nội');
        expect((await w.client.post(`/admin/units/${encodeURIComponent(id)}/contacts`, { name: 'Kẻ Lạ' })).status).toBe(
          404,
        );
        expect((await w.client.post(`/admin/units/${encodeURIComponent(id)}/calendar`)).status).toBe(404);
      }
      expect(await w.t.prisma.contact.count()).toBe(contacts);
      expect((await w.t.prisma.unit.findUniqueOrThrow({ where: { id: otherUnitId } })).calendarToken).toBeNull();
    });

    it('shows the calendar feed at the request’s origin when PUBLIC_URL is not set', async () => {
      // The address is made on request (a POST); viewing the page only shows it.
      expect((await w.client.post(`/admin/units/${tttt.id}/calendar`)).status).toBe(303);
      const page = await w.client.get(`/admin/units/${tttt.id}`);
      const token = (await w.t.prisma.unit.findUniqueOrThrow({ where: { id: tttt.id } })).calendarToken!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(page.text).toContain(`value="${w.base}/ical/${token}.ics"`);
      expect(page.text).toContain('Tạo địa chỉ mới');
    });

    it('speaks English after the switch', async () => {
      const c = w.newClient();
      await c.login(w.admin.email, w.admin.password);
      c.cookies.set('lang', 'en');
      const page = await c.get(`/admin/units/${tttt.id}`);
      expect(page.text).toContain('Obligations of 2026');
      expect(page.text).toContain('Create a new address');
      expect(page.text).not.toContain('Nghĩa vụ năm');
      // The numbering column in English, not the Vietnamese abbreviation (a phone shows it before each code).
      expect(page.text).toContain('<th>No.</th>');
      expect(page.text).toContain('<span class="phone-only">No. </span>');
      expect(page.text).not.toMatch(/<th>TT<\/th>|>TT </);
      // The overdue count agrees with its noun ("1 obligation overdue").
      const [, due, thing] = /<p class="big late-text">(\d+) (obligations?) overdue<\/p>/.exec(page.text) ?? [];
      expect(thing).toBe(due === '1' ? 'obligation' : 'obligations');
      // The history's count agrees with its noun.
      const [, n, noun] = /History <span class="muted">\((\d+) (entry|entries)\)/.exec(page.text) ?? [];
      expect(noun).toBe(n === '1' ? 'entry' : 'entries');
      const vi = (await w.client.get(`/admin/units/${tttt.id}`)).text;
      expect(vi).toContain('<th>TT</th>');
      expect(vi).toContain('<span class="phone-only">TT </span>');
    });
  });
});

/** The table row that links to or acts on an id (the first `<tr>` containing it). */
function rowOf(page: string, id: string): string {
  const at = page.indexOf(id);
  if (at < 0) throw new Error(`${id} is not on the page`);
  const start = page.lastIndexOf('<tr', at);
  return page.slice(start, page.indexOf('</tr>', at));
}
