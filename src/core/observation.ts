import type { Version } from "./version.js";

/** Where an observation of a server came from. */
export const ObservationKind = {
  /** A STATSZ advertisement, or an answer to $SYS.REQ.SERVER.PING. */
  Stats: "stats",
  /** An answer to $SYS.REQ.SERVER.PING.VARZ: also go version and git commit. */
  Varz: "varz",
  /** $SYS.SERVER.<id>.LAMEDUCK (nats-server >= 2.9.22 only). */
  LameDuck: "lame-duck",
  /** $SYS.SERVER.<id>.SHUTDOWN. */
  Shutdown: "shutdown",
} as const;
export type ObservationKind = (typeof ObservationKind)[keyof typeof ObservationKind];

/** One validated fact about one server, as the collector hands it to the domain. */
export interface ServerObservation {
  readonly kind: ObservationKind;
  readonly name: string;
  readonly id: string;
  readonly cluster: string;
  readonly domain: string;
  readonly host: string;
  readonly version: Version;
  /** Process start time (ms since epoch); STATSZ and VARZ carry it, LAMEDUCK/SHUTDOWN do not. */
  readonly startedAt?: number;
  readonly go?: string;
  readonly gitCommit?: string;
  /** STATSZ only: the names of the servers this one has routes to, and the clusters it has gateways to. */
  readonly topology?: Topology;
}

/** Whom a server is connected to, as its STATSZ lists it (2.10+ pools routes: names repeat). */
export interface Topology {
  readonly routes: readonly string[];
  readonly gateways: readonly string[];
}
