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
  /** VARZ only: the server has leafnode remotes, i.e. it is a leaf of some hub. */
  readonly leaf?: boolean;
  /** STATSZ only: routes, gateways, client connections, JetStream. */
  readonly statsz?: StatszFacts;
}

/** What a server's STATSZ says beyond its identity: whom it is routed to (2.10+ pools routes: names repeat), its clients, JetStream. */
export interface StatszFacts {
  readonly routes: readonly string[];
  readonly gateways: readonly string[];
  readonly connections: number;
  readonly jetstream: boolean;
}
