import { ObservationKind, type ServerObservation } from "../../src/core/observation.js";
import { parseVersion } from "../../src/core/version.js";

/** A valid observation for core tests; fields overridable. */
export function observation(
  name: string,
  version: string,
  over: Partial<Omit<ServerObservation, "version">> = {},
): ServerObservation {
  const v = parseVersion(version);
  if (!v) throw new Error(`bad test version ${version}`);
  return {
    kind: ObservationKind.Stats,
    name,
    id: `ID-${name}`,
    cluster: "c1",
    domain: "",
    host: "127.0.0.1",
    version: v,
    startedAt: 1_000,
    ...over,
  };
}
