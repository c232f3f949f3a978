/**
 * The minor releases of nats-server 2.x and the newest patch of each that this build knows of (from
 * the git tags of nats-io/nats-server; 2.15 from Debian's sid). 2.13 was never released. Data, not
 * logic: a newer build of the monitor brings a newer table.
 */
export interface MinorRelease {
  readonly minor: string;
  /** The newest patch release of this minor known to this table. */
  readonly latest: string;
}

export const MINOR_RELEASES: readonly MinorRelease[] = [
  { minor: "2.0", latest: "2.0.4" },
  { minor: "2.1", latest: "2.1.9" },
  { minor: "2.2", latest: "2.2.6" },
  { minor: "2.3", latest: "2.3.4" },
  { minor: "2.4", latest: "2.4.0" },
  { minor: "2.5", latest: "2.5.0" },
  { minor: "2.6", latest: "2.6.6" },
  { minor: "2.7", latest: "2.7.4" },
  { minor: "2.8", latest: "2.8.4" },
  { minor: "2.9", latest: "2.9.25" },
  { minor: "2.10", latest: "2.10.29" },
  { minor: "2.11", latest: "2.11.17" },
  { minor: "2.12", latest: "2.12.15" },
  { minor: "2.14", latest: "2.14.5" },
  { minor: "2.15", latest: "2.15.1" },
];
