#!/usr/bin/env node
/* global fetch, AbortSignal */
// The image's HEALTHCHECK (plain Node, no dependencies): liveness. A process with the web role must
// answer GET /healthz on PORT within 4 s; a process without one (ROLES=worker, scheduler, bot)
// has no HTTP server, and is alive while its container runs. Readiness (PostgreSQL and Redis
// reachable) is GET /readyz, for a load balancer.
const roles = (process.env.ROLES || 'all').split(',').map((r) => r.trim());
if (!roles.includes('all') && !roles.includes('web')) process.exit(0);
const port = process.env.PORT || '3000';
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) }).then(
  (r) => process.exit(r.ok ? 0 : 1),
  () => process.exit(1),
);
