import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: the sandbox outbox, answered as a contact. (To be written in this change.) */
export function registerOutboxPages(_scope: FastifyInstance, _deps: WebDeps): void {}
