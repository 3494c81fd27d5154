import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: plan import: paste, CSV, XLSX → review → fix → commit. (To be written in this change.) */
export function registerImportPages(_scope: FastifyInstance, _deps: WebDeps): void {}
