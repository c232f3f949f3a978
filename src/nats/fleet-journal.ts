import { Fleet, type FleetPolicy, type LeafLink } from "../core/fleet.js";
import type { ServerObservation } from "../core/observation.js";
import type { ServerRecord } from "../core/server-record.js";

/**
 * A change to the fleet, as data. Fleet is deterministic (time comes in as an argument), so a
 * second Fleet that is handed the same changes in the same order holds the same state: that is how
 * the report worker keeps its copy without ever being sent the whole fleet.
 */
export type FleetOp =
  | readonly ["observe", ServerObservation, number]
  | readonly ["set", ServerRecord]
  | readonly ["forget", number, number]
  | readonly ["probe", string, number]
  | readonly ["leafz", string, readonly LeafLink[], number];

export function applyFleetOp(fleet: Fleet, op: FleetOp): void {
  switch (op[0]) {
    case "observe":
      fleet.observe(op[1], op[2]);
      return;
    case "set":
      fleet.set(op[1]);
      return;
    case "forget":
      fleet.forget(op[1], op[2]);
      return;
    case "probe":
      fleet.noteProbe(op[1], op[2]);
      return;
    case "leafz":
      fleet.noteLeafLinks(op[1], op[2], op[3]);
      return;
  }
}

/** A Fleet that also hands every change it takes to `journal`, after applying it. */
export class JournaledFleet extends Fleet {
  constructor(
    policy: FleetPolicy,
    readonly journal: (op: FleetOp) => void,
  ) {
    super(policy);
  }

  override set(record: ServerRecord): void {
    super.set(record);
    this.journal(["set", record]);
  }

  override observe(obs: ServerObservation, now: number): ReturnType<Fleet["observe"]> {
    const result = super.observe(obs, now);
    this.journal(["observe", obs, now]);
    return result;
  }

  override forget(now: number, forgetAfterMs: number): ServerRecord[] {
    const gone = super.forget(now, forgetAfterMs);
    this.journal(["forget", now, forgetAfterMs]);
    return gone;
  }

  override noteLeafLinks(server: string, links: readonly LeafLink[], now: number): void {
    super.noteLeafLinks(server, links, now);
    this.journal(["leafz", server, links, now]);
  }

  override noteProbe(cluster: string, now: number): void {
    super.noteProbe(cluster, now);
    this.journal(["probe", cluster, now]);
  }
}
