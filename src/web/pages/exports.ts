import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: the yearly consolidated status as XLSX and CSV. (To be written in this change.) */
export function registerExportPages(_scope: FastifyInstance, _deps: WebDeps): void {}
