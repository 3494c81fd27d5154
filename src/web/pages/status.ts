import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: the status matrix (GET /admin) and the actions on a unit's behalf. (To be written in this change.) */
export function registerStatusPages(_scope: FastifyInstance, _deps: WebDeps): void {}
