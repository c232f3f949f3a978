import { ObservationKind, type ServerObservation, type StatszFacts } from "../core/observation.js";
import { parseVersion } from "../core/version.js";
import { isJsonObject } from "../core/is-json-object.js";
import type { LeafLink } from "../core/fleet.js";

/**
 * Validation of what arrives on the $SYS subjects the collector reads. Any client of the system
 * account can publish there, so nothing is trusted: a message either becomes a typed
 * ServerObservation or is rejected with a reason that is counted.
 */
export const RejectReason = {
  TooLarge: "too-large",
  NotJson: "not-json",
  NotObject: "not-object",
  MissingServer: "missing-server",
  BadField: "bad-field",
  BadVersion: "bad-version",
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export class AdvertisementError extends Error {
  override name = "AdvertisementError";
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

/** A STATSZ of a large cluster lists every route; anything past this is not an advertisement. */
export const MAX_ADVERTISEMENT_BYTES = 512 * 1024;
const MAX_NAME = 256;
const MAX_FIELD = 256;
/** Routes and gateways read from one STATSZ; a route pool of 3 per peer still fits 1000 peers. */
const MAX_PEERS = 4096;

type Json = Record<string, unknown>;
const decoder = new TextDecoder();


function text(o: Json, k: string, required: boolean): string {
  const v = o[k];
  if (v === undefined || v === null) {
    if (required) throw new AdvertisementError(RejectReason.BadField, `"${k}" is missing`);
    return "";
  }
  if (typeof v !== "string" || v.length > (k === "name" ? MAX_NAME : MAX_FIELD)) {
    throw new AdvertisementError(RejectReason.BadField, `"${k}" must be a string of at most ${MAX_FIELD} characters`);
  }
  return v;
}

function startTime(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw new AdvertisementError(RejectReason.BadField, `"start" must be a time`);
  return ms;
}

function parseJson(data: Uint8Array): Json {
  if (data.length > MAX_ADVERTISEMENT_BYTES) {
    throw new AdvertisementError(RejectReason.TooLarge, `payload of ${data.length} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    throw new AdvertisementError(RejectReason.NotJson, "payload is not JSON");
  }
  if (!isJsonObject(parsed)) throw new AdvertisementError(RejectReason.NotObject, "payload is not a JSON object");
  return parsed;
}

interface Extra {
  readonly leaf?: boolean;
  readonly statsz?: StatszFacts;
  readonly startedAt?: number | undefined;
  readonly go?: string;
  readonly gitCommit?: string;
}

/** The ServerInfo block nats-server puts in every $SYS message (`server` in STATSZ/VARZ). */
function fromServerInfo(kind: ObservationKind, info: unknown, extra: Extra): ServerObservation {
  if (!isJsonObject(info)) throw new AdvertisementError(RejectReason.MissingServer, `no "server" object`);
  const name = text(info, "name", true);
  const id = text(info, "id", true);
  if (id === "") throw new AdvertisementError(RejectReason.BadField, `"id" is empty`);
  const ver = text(info, "ver", true);
  const version = parseVersion(ver);
  if (!version) throw new AdvertisementError(RejectReason.BadVersion, `"ver" is not a version: ${JSON.stringify(ver.slice(0, 40))}`);
  return {
    kind,
    // Servers without server_name advertise their id as name; keep that, the report flags it.
    name: name === "" ? id : name,
    id,
    cluster: text(info, "cluster", false),
    domain: text(info, "domain", false),
    host: text(info, "host", false),
    version,
    ...(extra.startedAt !== undefined ? { startedAt: extra.startedAt } : {}),
    ...(extra.go ? { go: extra.go } : {}),
    ...(extra.gitCommit ? { gitCommit: extra.gitCommit } : {}),
    ...(extra.statsz ? { statsz: extra.statsz } : {}),
    ...(extra.leaf !== undefined ? { leaf: extra.leaf } : {}),
  };
}

/** Names in a STATSZ list of routes or gateways; entries without a usable name are left out. */
function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const e of list.slice(0, MAX_PEERS)) {
    if (isJsonObject(e) && typeof e["name"] === "string" && e["name"] !== "" && e["name"].length <= MAX_NAME) out.push(e["name"]);
  }
  return out;
}

/** `$SYS.SERVER.<id>.STATSZ` and answers to `$SYS.REQ.SERVER.PING`: `{server, statsz}`. */
export function parseStatsz(data: Uint8Array): ServerObservation {
  const msg = parseJson(data);
  const statsz = isJsonObject(msg["statsz"]) ? msg["statsz"] : {};
  return fromServerInfo(ObservationKind.Stats, msg["server"], {
    startedAt: startTime(statsz["start"]),
    statsz: {
      routes: names(statsz["routes"]),
      gateways: names(statsz["gateways"]),
      connections: typeof statsz["connections"] === "number" && statsz["connections"] >= 0 ? statsz["connections"] : 0,
      jetstream: isJsonObject(statsz["jetstream"]),
    },
  });
}

/** Answers to `$SYS.REQ.SERVER.PING.VARZ`: `{server, data: varz}`; the only source of go and git. */
export function parseVarz(data: Uint8Array): ServerObservation {
  const msg = parseJson(data);
  const varz = msg["data"];
  if (!isJsonObject(varz)) {
    const why = isJsonObject(msg["error"]) ? `error ${JSON.stringify(msg["error"]).slice(0, 80)}` : `no "data" object`;
    throw new AdvertisementError(RejectReason.BadField, why);
  }
  return fromServerInfo(ObservationKind.Varz, msg["server"], {
    startedAt: startTime(varz["start"]),
    go: text(varz, "go", false),
    gitCommit: text(varz, "git_commit", false),
    // A server with leafnode remotes connects out to a hub: it is a leaf.
    leaf: isJsonObject(varz["leaf"]) && Array.isArray(varz["leaf"]["remotes"]) && varz["leaf"]["remotes"].length > 0,
  });
}

/** One server's answer to `$SYS.REQ.SERVER.PING.LEAFZ`: the leafnode connections it accepted. */
export interface LeafzAnswer {
  readonly server: string;
  readonly links: readonly LeafLink[];
}

/**
 * `{server, data: {leafs: [{name, is_spoke, account, ...}]}}`. Only connections the answering
 * server accepted (not `is_spoke`) are kept: those lead to its leaves. Before 2.10 neither `name`
 * nor `is_spoke` is sent; such a connection is kept without a name.
 */
export function parseLeafz(data: Uint8Array): LeafzAnswer {
  const msg = parseJson(data);
  if (!isJsonObject(msg["server"])) throw new AdvertisementError(RejectReason.MissingServer, `no "server" object`);
  const server = text(msg["server"], "name", true);
  if (server === "") throw new AdvertisementError(RejectReason.BadField, `"name" is empty`);
  const leafz = msg["data"];
  if (!isJsonObject(leafz)) throw new AdvertisementError(RejectReason.BadField, `no "data" object`);
  const leafs = Array.isArray(leafz["leafs"]) ? leafz["leafs"] : [];
  const links: LeafLink[] = [];
  for (const l of leafs.slice(0, MAX_PEERS)) {
    if (!isJsonObject(l) || l["is_spoke"] === true || typeof l["account"] !== "string" || l["account"].length > MAX_FIELD) continue;
    const name = typeof l["name"] === "string" && l["name"] !== "" && l["name"].length <= MAX_NAME ? l["name"] : undefined;
    links.push({ ...(name !== undefined ? { name } : {}), account: l["account"] });
  }
  return { server, links };
}

/** `$SYS.SERVER.<id>.LAMEDUCK` and `.SHUTDOWN`: a bare ServerInfo (tolerate `{server}` too). */
export function parseLifecycle(kind: typeof ObservationKind.LameDuck | typeof ObservationKind.Shutdown, data: Uint8Array): ServerObservation {
  const msg = parseJson(data);
  return fromServerInfo(kind, isJsonObject(msg["server"]) ? msg["server"] : msg, {});
}
