import { DeliveryError } from '../types.js';

/**
 * SMTP's answers: 5xx is permanent (the address is rejected: the contact's next channel is used);
 * 4xx and network errors are temporary and retried.
 */
export function emailDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { responseCode?: number }).responseCode;
  return new DeliveryError(`SMTP: ${code ?? (error as Error).message}`, {
    permanent: code !== undefined && code >= 500 && code < 600,
    cause: error,
  });
}
