import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from '#root/db/client.js';
import { UserError, type Words } from '#root/errors/index.js';
import { audit } from './audit.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Administrators of the web pages: accounts with scrypt password hashes, and login sessions whose
 * cookie holds a random token of which PostgreSQL keeps only the hash (a stolen database backup
 * opens no session). Contacts never log in: their links are signed.
 */

const adminWords = serviceWords('admins');

/**
 * OWASP's minimum for scrypt (Password Storage Cheat Sheet): N = 2^17, r = 8, p = 1. One hash takes
 * 128 MiB (128 · N · r bytes) and about 0.4–0.7 s of one thread of libuv's pool (not the event
 * loop) on the 2-core test machine. Older hashes are rehashed at their next successful login.
 */
export const SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
export type ScryptCost = { N: number; r: number; p: number };
/** Node refuses scrypt above `maxmem` (32 MiB by default): room for 128 MiB and scrypt's own overhead. */
const MAXMEM = 256 * 1024 * 1024;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url: the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, { ...SCRYPT_COST, maxmem: MAXMEM });
  return `scrypt$${SCRYPT_COST.N}$${SCRYPT_COST.r}$${SCRYPT_COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** The cost a stored hash was made with (null when it is not an scrypt hash of ours). */
export function hashCost(stored: string): ScryptCost | null {
  const [kind, n, r, p] = stored.split('$');
  if (kind !== 'scrypt') return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  return Object.values(cost).every((v) => Number.isInteger(v) && v > 0) ? cost : null;
}

/** Whether a stored hash is weaker than today's cost, and should be made again at the next login. */
export const needsRehash = (stored: string) => {
  const cost = hashCost(stored);
  return !cost || cost.N < SCRYPT_COST.N || cost.r < SCRYPT_COST.r || cost.p < SCRYPT_COST.p;
};

/** A hash that verifies nothing: login answers as slowly for an unknown email as for a wrong password. */
let decoy: Promise<string> | undefined;

export const PASSWORD_MIN_LENGTH = 10;

export function passwordProblem(password: string): Words | null {
  if (password.length < PASSWORD_MIN_LENGTH)
    return adminWords('passwordTooShort', { passwordMinLength: PASSWORD_MIN_LENGTH });
  if (password.length > 1024) return adminWords('passwordTooLong');
  return null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createAdmin(
  db: Db,
  orgId: string,
  input: { email: string; name?: string; password: string; operator?: boolean },
  actor: string,
) {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new UserError(adminWords('invalidEmail', { email: input.email }));
  const problem = passwordProblem(input.password);
  if (problem) throw new UserError(problem);
  if (await db.adminAccount.findUnique({ where: { email } })) throw new UserError(adminWords('adminExists', { email }));
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const account = await tx.adminAccount.create({
      data: { orgId, email, name: input.name?.trim() || email, passwordHash, operator: input.operator ?? false },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'admin.create',
      entity: 'admin',
      entityId: account.id,
      data: { email, ...(input.operator ? { operator: true } : {}) },
    });
    return account;
  });
}

export async function setAdminPassword(db: Db, email: string, password: string, actor: string) {
  const problem = passwordProblem(password);
  if (problem) throw new UserError(problem);
  const account = await db.adminAccount.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!account) throw new UserError(adminWords('noSuchAdmin', { email }));
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    await tx.adminAccount.update({ where: { id: account.id }, data: { passwordHash } });
    // Every open session of the account ends with its old password.
    await tx.webSession.deleteMany({ where: { accountId: account.id } });
    await audit(tx, { orgId: account.orgId, actor, action: 'admin.password', entity: 'admin', entityId: account.id });
  });
}

/**
 * Makes an administrator a deployment-wide operator (or no longer one): operators see the job
 * queues of every organisation (bull-board at /admin/queues); ordinary administrators see only
 * their organisation's pages.
 */
export async function setOperator(db: Db, email: string, operator: boolean, actor: string) {
  const account = await db.adminAccount.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!account) throw new UserError(adminWords('noSuchAdmin', { email }));
  if (account.operator === operator) return { account, changed: false };
  await db.$transaction(async (tx) => {
    await tx.adminAccount.update({ where: { id: account.id }, data: { operator } });
    await audit(tx, {
      orgId: account.orgId,
      actor,
      action: 'admin.operator',
      entity: 'admin',
      entityId: account.id,
      data: { operator },
    });
  });
  return { account: { ...account, operator }, changed: true };
}

/** Called once for each password hash computed to answer a login (the decoy's included). */
export interface AuthenticateHooks {
  evaluated?: () => void;
}

/**
 * The account for this email and password, or null (the same time either way). A hash made with
 * a weaker cost than today's is made again, at today's, once the password is known right: the
 * audit log says so (`admin.rehash`).
 */
export async function authenticate(db: Db, email: string, password: string, hooks: AuthenticateHooks = {}) {
  const account = await db.adminAccount.findUnique({ where: { email: email.trim().toLowerCase() } });
  const check = (stored: string) => {
    hooks.evaluated?.();
    return verifyPassword(password, stored);
  };
  if (!account || !account.active) {
    await check(await (decoy ??= hashPassword(randomBytes(16).toString('hex'))));
    return null;
  }
  if (!(await check(account.passwordHash))) return null;
  if (needsRehash(account.passwordHash)) {
    const passwordHash = await hashPassword(password);
    await db.$transaction(async (tx) => {
      // Only if the hash is still the one checked: a password set meanwhile wins.
      const r = await tx.adminAccount.updateMany({
        where: { id: account.id, passwordHash: account.passwordHash },
        data: { passwordHash },
      });
      if (r.count === 1)
        await audit(tx, {
          orgId: account.orgId,
          actor: `web:${account.email}`,
          action: 'admin.rehash',
          entity: 'admin',
          entityId: account.id,
          data: { from: hashCost(account.passwordHash)?.N ?? null, to: SCRYPT_COST.N },
        });
    });
  }
  return account;
}

/** Idle sessions end after this; any session after SESSION_MAX_MS. */
export const SESSION_IDLE_MS = 8 * 3_600_000;
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function startSession(db: Db, account: { id: string; orgId: string; email: string }, now: Date) {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db.$transaction(async (tx) => {
    await tx.webSession.create({
      data: {
        tokenHash: tokenHash(token),
        accountId: account.id,
        csrfToken,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_MAX_MS),
      },
    });
    await tx.adminAccount.update({ where: { id: account.id }, data: { lastLoginAt: now } });
    // Sessions long over are swept here rather than by a job of their own.
    await tx.webSession.deleteMany({ where: { accountId: account.id, expiresAt: { lt: now } } });
    await audit(tx, {
      orgId: account.orgId,
      actor: `web:${account.email}`,
      action: 'admin.login',
      entity: 'admin',
      entityId: account.id,
    });
  });
  return { token, csrfToken };
}

export interface WebSessionInfo {
  sessionId: string;
  csrfToken: string;
  /** `operator`: a deployment-wide operator (sees every organisation's job queues). */
  account: { id: string; orgId: string; email: string; name: string; operator: boolean };
}

/** The live session of a cookie's token, its idle time renewed; null when unknown, idle too long or over. */
export async function sessionFor(db: Db, token: string, now: Date): Promise<WebSessionInfo | null> {
  if (!token || token.length > 100) return null;
  const s = await db.webSession.findUnique({ where: { tokenHash: tokenHash(token) }, include: { account: true } });
  if (!s || !s.account.active || s.expiresAt <= now || now.getTime() - s.lastSeenAt.getTime() > SESSION_IDLE_MS)
    return null;
  // One write a minute at most, not one per page.
  if (now.getTime() - s.lastSeenAt.getTime() > 60_000)
    await db.webSession.update({ where: { id: s.id }, data: { lastSeenAt: now } });
  return {
    sessionId: s.id,
    csrfToken: s.csrfToken,
    account: {
      id: s.account.id,
      orgId: s.account.orgId,
      email: s.account.email,
      name: s.account.name,
      operator: s.account.operator,
    },
  };
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.webSession.deleteMany({ where: { tokenHash: tokenHash(token) } });
}
