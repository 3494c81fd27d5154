import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { outageReporter } from '#root/lib/outage.js';

/** The reporter's lines (level and message), from a real pino logger. */
function reporter() {
  const lines: { level: number; msg: string; suppressed: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const r = outageReporter(logger, { level: 'error', down: 'down', up: 'up', everyMs: 30_000 });
  return { r, lines: () => lines.map((l) => `${l.msg}/${l.suppressed}`) };
}

describe('outageReporter', () => {
  // The reporter reads Date.now(): the test moves it, relative to wherever it starts.
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('says an outage once, then once every 30 s with what it folded, and once when it ends', () => {
    const { r, lines } = reporter();
    r.failed({});
    r.failed({});
    vi.advanceTimersByTime(29_000);
    r.failed({});
    expect(lines()).toEqual(['down/0']);
    vi.advanceTimersByTime(2_000);
    r.failed({});
    r.recovered();
    r.recovered();
    expect(lines()).toEqual(['down/0', 'down/2', 'up/0']);
  });

  it('folds a failure soon after the service answered again into the outage (a flap), and says a later one at once', () => {
    const { r, lines } = reporter();
    r.failed({});
    r.recovered();
    vi.advanceTimersByTime(2_500);
    r.failed({});
    expect(lines()).toEqual(['down/0', 'up/0']);
    r.recovered();
    vi.advanceTimersByTime(30_000);
    r.failed({});
    expect(lines()).toEqual(['down/0', 'up/0', 'up/1', 'down/0']);
  });
});
