import { DeliveryError } from '../types.js';

/**
 * SMTP's answers: 5xx is permanent (the address is rejected: the contact's next channel is used);
 * 4xx and network errors are temporary and retried. A network error (no answer in time, a
 * connection cut) once the whole message, its ending "." included, was handed to the server is of
 * unknown outcome (`dataSent`): the server may have queued the mail before it failed to say so, so
 * the retry is counted as a possible duplicate. Before that point the server cannot have taken it.
 */
export function emailDeliveryError(error: unknown, sent: { dataSent?: boolean } = {}): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { responseCode?: number }).responseCode;
  return new DeliveryError(`SMTP: ${code ?? (error as Error).message}`, {
    permanent: code !== undefined && code >= 500 && code < 600,
    // An answer (4xx after the data) says what happened; only silence leaves it unknown.
    outcomeUnknown: code === undefined && sent.dataSent === true,
    cause: error,
  });
}
