import { isJsonObject } from "./is-json-object.js";
import { isoTime as iso } from "./iso-time.js";
import type { MismatchRecord } from "./mismatch-record.js";
import type { MismatchState, OutlierCause } from "./mismatch-state.js";
import type { MismatchEventType } from "./mismatch-transition.js";
import type { ScopeAnalysis } from "./scope-analysis.js";
import type { GapGrade } from "./version-gap.js";
import type { Direction } from "./version-summary.js";

/** What `versions.mismatch` carries (JSON, snake_case). Documented in the README. */
export interface MismatchEvent {
  readonly id: string;
  /** The scope's transition number: 1, 2, 3, ... with no gap, so a subscriber can tell it missed one. */
  readonly seq: number;
  readonly type: MismatchEventType;
  /** "system", or "cluster:<name>". */
  readonly scope: string;
  readonly cluster: string | null;
  readonly state: MismatchState;
  readonly previous_state: MismatchState | null;
  readonly at: string;
  readonly since: string | null;
  readonly mismatch_seconds: number | null;
  readonly target: string | null;
  readonly versions: readonly { readonly version: string; readonly count: number }[];
  readonly gap: GapGrade;
  readonly outliers: readonly {
    readonly name: string;
    readonly cluster: string;
    readonly version: string;
    readonly gap: GapGrade;
    readonly direction: Direction;
    readonly cause?: OutlierCause;
  }[];
  readonly outliers_omitted: number;
  readonly reasons: readonly string[];
  readonly action: string;
  /** Versions in the scope that known advisories affect (servers on each, advisories, worst severity); absent for events from before. */
  readonly affected_versions?: readonly AffectedVersion[];
}

export interface AffectedVersion {
  readonly version: string;
  readonly servers: number;
  readonly advisories: number;
  readonly ids: readonly string[];
  readonly worst_severity: string | null;
}

/** The fields delivery and history rely on (stored events are our own; the rest passes through). */
export function isMismatchEvent(v: unknown): v is MismatchEvent {
  return isJsonObject(v) && typeof v["id"] === "string" && typeof v["type"] === "string" && typeof v["scope"] === "string" && typeof v["seq"] === "number" && Number.isFinite(v["seq"]);
}

/** An event read back from the event stream; undefined when it is not one. */
export function decodeMismatchEvent(data: Uint8Array): MismatchEvent | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(data));
    return isMismatchEvent(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Events name outliers in full up to this many, to stay far below any max_payload. */
export const MAX_EVENT_OUTLIERS = 100;


/** What an event says about its scope as judged now: everything but the transition itself. */
export type ScopeStatement = Pick<MismatchEvent, "scope" | "cluster" | "state" | "target" | "versions" | "gap" | "outliers" | "outliers_omitted" | "reasons" | "action">;

/** The statement of one analysed scope; small, so that it can be made where the fleet is and sent. */
export function scopeStatement(a: ScopeAnalysis): ScopeStatement {
  return {
    scope: a.scope,
    cluster: a.cluster ?? null,
    state: a.classification.state,
    target: a.summary.target ?? null,
    versions: a.summary.groups.map((g) => ({ version: g.version, count: g.count })),
    gap: a.summary.gap,
    outliers: a.summary.outliers.slice(0, MAX_EVENT_OUTLIERS).map((o) => {
      const cause = a.classification.causes.get(o.name)?.cause;
      return {
        name: o.record.name,
        cluster: o.record.cluster,
        version: o.record.version,
        gap: o.gap,
        direction: o.direction,
        ...(cause ? { cause } : {}),
      };
    }),
    outliers_omitted: Math.max(0, a.summary.outliers.length - MAX_EVENT_OUTLIERS),
    reasons: a.classification.reasons,
    action: a.classification.action,
  };
}

export function buildMismatchEvent(
  event: { type: MismatchEventType; id: string },
  statement: ScopeStatement,
  record: MismatchRecord,
  previous: MismatchRecord | undefined,
  now: number,
  affectedVersions: readonly AffectedVersion[] = [],
): MismatchEvent {
  const since = record.since ?? previous?.since;
  const { scope, cluster, state, ...rest } = statement;
  return {
    id: event.id,
    seq: record.seq,
    type: event.type,
    scope,
    cluster,
    state,
    previous_state: previous?.state ?? null,
    at: iso(now),
    since: since === undefined ? null : iso(since),
    mismatch_seconds: since === undefined ? null : Math.max(0, Math.floor((now - since) / 1000)),
    ...rest,
    affected_versions: affectedVersions,
  };
}
