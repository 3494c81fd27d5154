import { Counter, Registry } from 'prom-client';

/**
 * Prometheus metrics of this process. Created per process (not at import) so tests and several
 * roles in one process share one registry.
 */
export function createMetrics() {
  const registry = new Registry();
  const labels = ['channel', 'kind'] as const;
  return {
    registry,
    sent: new Counter({ name: 'dondoc_reminders_sent_total', help: 'Messages delivered, by channel and kind', labelNames: labels, registers: [registry] }),
    failed: new Counter({ name: 'dondoc_reminders_failed_total', help: 'Permanent delivery failures, by channel and kind', labelNames: labels, registers: [registry] }),
    retried: new Counter({ name: 'dondoc_reminders_retried_total', help: 'Temporary delivery failures that will be retried', labelNames: labels, registers: [registry] }),
    /**
     * Sends whose outcome is unknown, so the channel may or may not have accepted the message:
     * claims found without an outcome after the lease (the worker died between the claim and the
     * record), and calls the channel never answered (a timeout). They are sent again (the README's
     * rule): each is a possible duplicate.
     */
    unknown: new Counter({ name: 'dondoc_reminders_unknown_outcome_total', help: 'Sends of unknown outcome (a claim reclaimed after a crash, or no answer from the channel): possibly delivered twice', labelNames: ['channel'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
