import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: the BullMQ dashboard (bull-board). (To be written in this change.) */
export function registerQueuePages(_scope: FastifyInstance, _deps: WebDeps): void {}
