import { MismatchState } from "./mismatch-state.js";

/** What the mismatch of one scope was when last decided; one KV entry per scope, written with CAS. */
export interface MismatchRecord {
  /** "system", or "cluster:<name>". */
  readonly scope: string;
  readonly state: MismatchState;
  readonly target: string | null;
  /** Distinct versions, newest first. */
  readonly versions: readonly string[];
  /** Outlier names, sorted. */
  readonly outliers: readonly string[];
  /** When the current mismatch began; undefined while consistent. */
  readonly since?: number;
  /** Transitions so far; part of every event id. */
  readonly seq: number;
  readonly updatedAt: number;
  /** The event this record's transition published, if any. */
  readonly eventId?: string;
}

export const SYSTEM_SCOPE = "system";
export const clusterScope = (cluster: string) => `cluster:${cluster}`;

export const MISMATCH_RECORD_SCHEMA = 1;

export function encodeMismatchRecord(r: MismatchRecord): string {
  return JSON.stringify({ schema: MISMATCH_RECORD_SCHEMA, ...r });
}

/** Reads a stored record back; undefined when it does not decode (it is then rewritten). */
export function decodeMismatchRecord(bytes: Uint8Array): MismatchRecord | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  if (
    typeof o !== "object" || o === null ||
    o["schema"] !== MISMATCH_RECORD_SCHEMA ||
    typeof o["scope"] !== "string" ||
    !Object.values(MismatchState).includes(o["state"] as MismatchState) ||
    !(o["target"] === null || typeof o["target"] === "string") ||
    !strings(o["versions"]) || !strings(o["outliers"]) ||
    !(o["since"] === undefined || num(o["since"])) ||
    !num(o["seq"]) || !num(o["updatedAt"]) ||
    !(o["eventId"] === undefined || typeof o["eventId"] === "string")
  ) {
    return undefined;
  }
  const { schema: _schema, ...record } = o;
  return record as unknown as MismatchRecord;
}
