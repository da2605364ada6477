import { WITHHELD_WORDS } from "../../core/power-port.js";
/**
 * The BMC's own words, made safe to show: a Redfish error body's MessageId and Message, or the start of a
 * body that is not one, cut short, without control characters, and never carrying the password.
 */

/** How much of the BMC's words a message keeps (the spec's "~200 characters"). */
const MAX_WORDS = 200;

/**
 * `text` as one short printable line: control characters (C0, DEL, C1) and Unicode bidi and line
 * separators become spaces (a BMC's words land in logs and the UI), runs of spaces collapse, and it is cut
 * to `max` characters (200). Words that hold a secret of `secrets`, before or after the cleaning, are
 * withheld whole (WITHHELD_WORDS): a BMC that echoes the password (or the Basic header) can carry neither it
 * nor where it stood into an error.
 */
export function bmcWords(text: string, secrets: readonly string[] = [], max = MAX_WORDS): string {
  const holds = (s: string) => secrets.some((x) => x.length > 0 && s.includes(x));
  if (holds(text)) return WITHHELD_WORDS;
  const flat = text
    // Terminal escape sequences whole, not just their ESC: a BMC's console banner is full of them.
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, " ")
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (holds(flat)) return WITHHELD_WORDS;
  const clean = flat;
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** What a Redfish `error` body says: its first extended message's id and text, else the error's code and message. */
export interface RedfishMessage {
  messageId: string;
  message: string;
}

/**
 * The message of a Redfish error body (DSP0266 "Error responses": `{ error: { code, message,
 * "@Message.ExtendedInfo": [{ MessageId, Message }] } }`), or undefined when `body` is not one. The first
 * extended message that is not a Success is the one that says why (a few BMCs put a Success first).
 */
export function redfishMessage(body: unknown): RedfishMessage | undefined {
  if (!isObject(body) || !isObject(body.error)) return undefined;
  const err = body.error;
  const infos = Array.isArray(err["@Message.ExtendedInfo"]) ? err["@Message.ExtendedInfo"] : [];
  const messages = infos.filter(isObject).map((m) => ({
    messageId: typeof m.MessageId === "string" ? m.MessageId : "",
    message: typeof m.Message === "string" ? m.Message : "",
  }));
  const telling = messages.find((m) => !/\.Success$/.test(m.messageId) && (m.messageId || m.message));
  if (telling) return telling;
  const code = typeof err.code === "string" ? err.code : "";
  const message = typeof err.message === "string" ? err.message : "";
  return code || message ? { messageId: code, message } : undefined;
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
