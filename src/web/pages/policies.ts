import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: reminder policies and holidays. (To be written in this change.) */
export function registerPolicyPages(_scope: FastifyInstance, _deps: WebDeps): void {}
