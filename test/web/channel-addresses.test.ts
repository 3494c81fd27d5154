import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESSED, CHANNEL_SPECS, channelLabel, reachable, TYPED } from '#root/channels/registry.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/** The row of a table that holds an id. */
function rowOf(page: string, id: string): string {
  const at = page.indexOf(id);
  if (at < 0) throw new Error(`${id} is not on the page`);
  const start = page.lastIndexOf('<tr', at);
  return page.slice(start, page.indexOf('</tr>', at));
}

/**
 * The unit page's contact forms and columns come from the channel registry: a column per channel
 * with an address, a field per typed address when adding a contact, and a form to set one later.
 */
describe('a unit page’s channels, from the registry', () => {
  let w: WebTest;
  let unitId: string;

  beforeAll(async () => {
    w = await startWebTest();
    unitId = (await w.t.prisma.unit.findFirstOrThrow({ where: { orgId: w.orgId }, orderBy: { name: 'asc' } })).id;
  }, 90_000);
  afterAll(async () => w?.stop());

  it('shows a column for each channel with an address, and a field for each typed one', async () => {
    const page = await w.client.get(`/admin/units/${unitId}`);
    expect(page.status).toBe(200);
    for (const spec of ADDRESSED) expect(page.text).toContain(`<th>${channelLabel(spec.name, 'vi')}</th>`);
    for (const spec of TYPED) {
      expect(page.text).toContain(`name="${spec.name}"`);
      expect(page.text).toContain(`<option value="${spec.name}">`);
    }
  });

  for (const spec of TYPED) {
    it(`adds a contact with a ${spec.name} address, then changes and removes it, audited`, async () => {
      const example = spec.address.input!.example;
      const name = `Người có ${spec.name}`;
      const res = await w.client.post(`/admin/units/${unitId}/contacts`, {
        name,
        role: 'contact',
        locale: 'vi',
        [spec.name]: example,
        channels: spec.name,
      });
      // A spec that reveals something once (a secret) answers with it; the others redirect.
      expect([200, 303]).toContain(res.status);
      const c = await w.t.prisma.contact.findFirstOrThrow({ where: { orgId: w.orgId, name } });
      expect(c.channels).toEqual([spec.name]);
      expect(reachable(spec.name, c)).toBe(true);
      const page = await w.client.get(`/admin/units/${unitId}`);
      expect(rowOf(page.text, c.id)).toContain(spec.address.show(c)!);

      const bad = await w.client.post(`/admin/units/${unitId}/contacts/${c.id}/address`, {
        channel: spec.name,
        address: 'không phải địa chỉ',
      });
      expect(bad.status).toBe(400);
      expect(reachable(spec.name, await w.t.prisma.contact.findUniqueOrThrow({ where: { id: c.id } }))).toBe(true);

      const cleared = await w.client.post(`/admin/units/${unitId}/contacts/${c.id}/address`, {
        channel: spec.name,
        address: '',
      });
      expect(cleared.status).toBe(303);
      expect(reachable(spec.name, await w.t.prisma.contact.findUniqueOrThrow({ where: { id: c.id } }))).toBe(false);

      const set = await w.client.post(`/admin/units/${unitId}/contacts/${c.id}/address`, {
        channel: spec.name,
        address: example,
      });
      expect([200, 303]).toContain(set.status);
      expect(reachable(spec.name, await w.t.prisma.contact.findUniqueOrThrow({ where: { id: c.id } }))).toBe(true);
      const audits = await w.t.prisma.auditEvent.findMany({ where: { action: 'contact.address', entityId: c.id } });
      expect(audits).toHaveLength(2);
      // The audit names the channel and the address as shown (masked), never a secret.
      for (const a of audits) expect(JSON.stringify(a.data)).toContain(spec.name);
    });
  }

  it('refuses an address on a channel that takes none typed, changing nothing', async () => {
    const c = await w.t.prisma.contact.findFirstOrThrow({ where: { orgId: w.orgId, unitId } });
    const res = await w.client.post(`/admin/units/${unitId}/contacts/${c.id}/address`, {
      channel: CHANNEL_SPECS.find((s) => !TYPED.includes(s as (typeof TYPED)[number]))!.name,
      address: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('không nhận địa chỉ nhập tay');
  });
});
