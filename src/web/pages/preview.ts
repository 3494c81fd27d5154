import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: reminder preview for a date range. (To be written in this change.) */
export function registerPreviewPages(_scope: FastifyInstance, _deps: WebDeps): void {}
