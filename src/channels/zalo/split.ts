import { splitText } from '#root/lib/split-text.js';

/** Zalo's limit on a message's text (docs/channels.md). */
export const ZALO_TEXT_MAX = 2_000;

/** Splits a text into Zalo-sized messages (see {@link splitText}). */
export const splitZaloText = (text: string, max: number = ZALO_TEXT_MAX): string[] => splitText(text, max);
