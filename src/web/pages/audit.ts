import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: the audit log. (To be written in this change.) */
export function registerAuditPages(_scope: FastifyInstance, _deps: WebDeps): void {}
