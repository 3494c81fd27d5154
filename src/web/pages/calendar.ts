import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../server.js';

/** The units' iCalendar feeds (public, behind each unit's secret token). (To be written in this change.) */
export function registerCalendarFeed(_app: FastifyInstance, _deps: WebDeps): void {}
