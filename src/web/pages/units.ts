import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: units list and unit page. (To be written in this change.) */
export function registerUnitPages(_scope: FastifyInstance, _deps: WebDeps): void {}
