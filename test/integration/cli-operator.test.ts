import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createAdmin } from '#root/services/admins.js';
import { cliTimeout, runCli, runCliInProcess } from '../helpers/run-cli.js';

/** Deployment-wide operators (who see bull-board) are made and unmade from the command line, audited. */
describe('the dondoc command line: operators', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase();
    await buildMiniOrg(t.prisma, { code: 'cli', units: 1, duties: [], now: new Date('2026-11-09T01:00:00Z') });
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'cli', USER: 'tester' };
  }, 30_000);
  afterAll(async () => t?.close());

  it(
    'creates an operator with --operator, and makes or unmakes one with `admin operator`',
    async () => {
      const created = await runCli(
        ['admin', 'create', 'van-hanh@example.gov.vn', '--operator'],
        env,
        'mật khẩu người vận hành\n',
      );
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain('— người vận hành');
      // The rest in-process: one real process (the password read from stdin) is what this test
      // needs of a process; more would make it depend on how fast processes start on a busy machine.
      const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'cli' } });
      await createAdmin(
        t.prisma,
        org.id,
        { email: 'thuong@example.gov.vn', password: 'mật khẩu quản trị thường' },
        'test',
      );
      const flags = async () =>
        Object.fromEntries((await t.prisma.adminAccount.findMany()).map((a) => [a.email, a.operator]));
      expect(await flags()).toEqual({ 'van-hanh@example.gov.vn': true, 'thuong@example.gov.vn': false });

      const made = await runCliInProcess(['admin', 'operator', 'thuong@example.gov.vn'], env);
      expect(made.code, made.stderr).toBe(0);
      const unmade = await runCliInProcess(['admin', 'operator', 'van-hanh@example.gov.vn', '--revoke'], env);
      expect(unmade.code, unmade.stderr).toBe(0);
      expect(await flags()).toEqual({ 'van-hanh@example.gov.vn': false, 'thuong@example.gov.vn': true });
      const audit = await t.prisma.auditEvent.findMany({ where: { action: 'admin.operator' }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => [a.actor, a.data])).toEqual([
        ['cli:tester', { operator: true }],
        ['cli:tester', { operator: false }],
      ]);

      const unknown = await runCliInProcess(['admin', 'operator', 'khong-co@example.gov.vn'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('Không có quản trị viên');
    },
    cliTimeout(1),
  );
});
