import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** Administrators' pages: message templates: edit with preview. (To be written in this change.) */
export function registerTemplatePages(_scope: FastifyInstance, _deps: WebDeps): void {}
