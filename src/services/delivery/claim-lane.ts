import type { ClaimRequest } from './claims.js';

/** A claim taken by a {@link createClaimLane}: the items won (null: not ours), and its place to give back. */
export interface LaneClaim {
  items: string[] | null;
  /** The token of the batch's claim statement (claims.ts, `claimToken`): the owner its outcome names. */
  claimedBy: string;
  /** Gives the place back once the send has its answer (or failed): the next claims may go. */
  release(): void;
}

/**
 * The claims of one non-transactional channel, taken ahead of its sends and in batches: at most
 * `size` bundles are claimed and not yet answered at once. Sends waiting for a claim are claimed
 * together, one statement for the batch, as soon as there is room for them all or for half the
 * lane, whichever is less: a channel that sends fast is fed batches (and its pacer never waits on
 * the database), a lone send is claimed at once, and a slow or rate-limited channel holds only a
 * few claims waiting (their lease keeps running while they wait).
 */
export function createClaimLane(options: {
  size: number;
  /** Claims a batch in one statement: what each request won, and the statement's claim token. */
  claim(requests: ClaimRequest[]): Promise<{ claimedBy: string; won: (string[] | null)[] }>;
}): { take(request: ClaimRequest): Promise<LaneClaim> } {
  const size = Math.max(1, options.size);
  // The sends waiting for a claim, first come first served: `waiting` from index `head` on (a burst
  // of thousands is taken a batch at a time; copying the rest at each batch would be quadratic).
  let waiting: { request: ClaimRequest; resolve: (c: LaneClaim) => void; reject: (e: unknown) => void }[] = [];
  let head = 0;
  let held = 0;
  let claiming = false;

  const release = () => {
    held--;
    pump();
  };
  const pump = () => {
    const count = waiting.length - head;
    if (claiming || !count) return;
    const room = size - held;
    if (room <= 0 || room < Math.min(count, Math.ceil(size / 2))) return;
    const batch = waiting.slice(head, head + room);
    head += batch.length;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    } else if (head >= 1_024 && head * 2 >= waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
    claiming = true;
    held += batch.length;
    options.claim(batch.map((b) => b.request)).then(
      ({ claimedBy, won }) => {
        claiming = false;
        batch.forEach((b, i) => {
          const items = won[i] ?? null;
          let given = false;
          const giveBack = () => {
            if (given) return;
            given = true;
            release();
          };
          // Nothing to send: the place is free at once.
          if (!items?.length) giveBack();
          b.resolve({ items, claimedBy, release: giveBack });
        });
        pump();
      },
      (error: unknown) => {
        claiming = false;
        held -= batch.length;
        for (const b of batch) b.reject(error);
        pump();
      },
    );
  };

  return {
    take: (request) =>
      new Promise<LaneClaim>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        pump();
      }),
  };
}
