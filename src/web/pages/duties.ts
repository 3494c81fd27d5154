import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: duties list and duty page. (To be written in this change.) */
export function registerDutyPages(_scope: FastifyInstance, _deps: WebDeps): void {}
