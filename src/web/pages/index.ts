import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';
import { registerStatusPages } from './status.js';
import { registerSummaryPages } from './summary.js';
import { registerInboxPages } from './inbox.js';
import { registerAskPages } from './ask.js';
import { registerUnitPages } from './units.js';
import { registerGroupPages } from './groups.js';
import { registerDutyPages } from './duties.js';
import { registerImportPages } from './import.js';
import { registerPolicyPages } from './policies.js';
import { registerTemplatePages } from './templates.js';
import { registerOutboxPages } from './outbox.js';
import { registerPreviewPages } from './preview.js';
import { registerAuditPages } from './audit.js';
import { registerExportPages } from './exports.js';
import { registerIndicatorPages } from './indicators.js';
import { registerQueuePages } from './queues.js';
import { registerCalendarFeed } from './calendar.js';

/** The administrators' pages, each module registering its routes in the /admin scope (login and CSRF checked there). */
export const ADMIN_PAGES: ((scope: FastifyInstance, deps: WebDeps) => void | Promise<void>)[] = [
  registerStatusPages,
  registerSummaryPages,
  registerInboxPages,
  registerAskPages,
  registerUnitPages,
  registerGroupPages,
  registerDutyPages,
  registerImportPages,
  registerPolicyPages,
  registerTemplatePages,
  registerOutboxPages,
  registerPreviewPages,
  registerAuditPages,
  registerExportPages,
  registerIndicatorPages,
  registerQueuePages,
];

/** Pages without a login: each protected by a secret of its own. */
export async function registerPublicPages(app: FastifyInstance, deps: WebDeps): Promise<void> {
  registerCalendarFeed(app, deps);
}
