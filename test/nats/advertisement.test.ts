import test from "ava";
import { AdvertisementError, type RejectReason, MAX_ADVERTISEMENT_BYTES, parseLeafz, parseLifecycle, parseStatsz, parseVarz } from "../../src/nats/advertisement.js";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

// Shapes captured from real nats-server 2.9.10 / 2.10.27 / 2.15.1 processes (trimmed).
const info29 = { name: "c-1", host: "127.0.0.1", id: "NBYFKVSBKJ73GCKAEODTRYPPM3EBPMGLX6KY4JYS7NHGTR6T6UJQPGSZ", cluster: "c", ver: "2.9.10", seq: 28, jetstream: true, time: "2026-11-25T02:38:16.708690156Z" };
const info215 = {
  name: "c-3", host: "127.0.0.1", id: "NBS7P5ITHPWPDDVUWC7IDJ65VRCPLWMEGJZZXWWYEZII52Y2Y3TUIXK4", cluster: "c", ver: "2.15.1",
  feature_flags: { js_ack_fc_v2: false, js_raft_delete_range: true }, jetstream: true, flags: 7, seq: 20, time: "2026-11-25T02:38:16.709044558Z",
};
const statsz = { start: "2026-11-25T02:38:06.567503359Z", mem: 15085568, cores: 2, cpu: 0, connections: 0, routes: [{ rid: 11, name: "c-2" }] };

test("STATSZ of a 2.9 server", (t) => {
  const o = parseStatsz(enc({ server: info29, statsz }));
  t.like(o, { kind: "stats", name: "c-1", id: info29.id, cluster: "c", domain: "", host: "127.0.0.1" });
  t.is(o.version.text, "2.9.10");
  t.is(o.startedAt, Date.parse("2026-11-25T02:38:06.567Z"));
});

test("STATSZ of a 2.15 server with fields older servers lack", (t) => {
  const o = parseStatsz(enc({ server: { ...info215, metadata: { az: "a" }, domain: "hub" }, statsz }));
  t.is(o.version.text, "2.15.1");
  t.is(o.domain, "hub");
});

test("VARZ answer carries go and git commit", (t) => {
  const o = parseVarz(enc({ server: info29, data: { server_name: "c-1", version: "2.9.10", go: "go1.19.8", git_commit: "", start: statsz.start } }));
  t.like(o, { kind: "varz", go: "go1.19.8" });
  t.false("gitCommit" in o);
});

test("LAMEDUCK carries a bare ServerInfo; SHUTDOWN too (or wrapped)", (t) => {
  t.is(parseLifecycle("lame-duck", enc(info215)).kind, "lame-duck");
  t.is(parseLifecycle("shutdown", enc({ server: info29 })).name, "c-1");
});

test("an unnamed server uses its id as name", (t) => {
  t.is(parseStatsz(enc({ server: { ...info29, name: "" }, statsz })).name, info29.id);
});

const rejects = test.macro((t, payload: Uint8Array, reason: RejectReason) => {
  const err = t.throws(() => parseStatsz(payload), { instanceOf: AdvertisementError });
  t.is(err?.reason, reason);
});

test("not JSON", rejects, enc("hello"), "not-json");
test("JSON array", rejects, enc([1, 2]), "not-object");
test("JSON string", rejects, enc('"x"'), "not-object");
test("missing server", rejects, enc({ statsz }), "missing-server");
test("server is a string", rejects, enc({ server: "c-1" }), "missing-server");
test("missing id", rejects, enc({ server: { ...info29, id: undefined } }), "bad-field");
test("empty id", rejects, enc({ server: { ...info29, id: "" } }), "bad-field");
test("name is a number", rejects, enc({ server: { ...info29, name: 7 } }), "bad-field");
test("huge name", rejects, enc({ server: { ...info29, name: "x".repeat(300) } }), "bad-field");
test("version missing", rejects, enc({ server: { ...info29, ver: undefined } }), "bad-field");
test("absurd version", rejects, enc({ server: { ...info29, ver: "99999999999999999999.1.1" } }), "bad-version");
test("version is words", rejects, enc({ server: { ...info29, ver: "latest; DROP TABLE" } }), "bad-version");
test("bad start time", rejects, enc({ server: info29, statsz: { start: "soon" } }), "bad-field");
test("huge payload", rejects, new Uint8Array(MAX_ADVERTISEMENT_BYTES + 1).fill(32), "too-large");
test("invalid UTF-8", rejects, new Uint8Array([0x7b, 0xff, 0x7d]), "not-json");

test("VARZ error answer", (t) => {
  const err = t.throws(() => parseVarz(enc({ server: info29, error: { code: 500, description: "x" } })), { instanceOf: AdvertisementError });
  t.regex(err?.message ?? "", /error/);
});

test("VARZ says whether the server is a leaf: leafnode remotes configured, or not", (t) => {
  const leafVarz = { server_name: "edge-1", go: "go1.19.8", start: statsz.start, leaf: { remotes: [{ local_account: "APP", urls: ["127.0.0.1:7422"] }, { local_account: "SYS", urls: ["127.0.0.1:7422"] }] } };
  t.is(parseVarz(enc({ server: info29, data: leafVarz })).leaf, true);
  // A hub accepts leaves (host and port) and has no remotes.
  t.is(parseVarz(enc({ server: info29, data: { ...leafVarz, leaf: { host: "127.0.0.1", port: 7422, auth_timeout: 2 } } })).leaf, false);
  t.is(parseVarz(enc({ server: info29, data: { ...leafVarz, leaf: { remotes: [] } } })).leaf, false);
  t.is(parseVarz(enc({ server: info29, data: { ...leafVarz, leaf: undefined } })).leaf, false);
  t.is(parseStatsz(enc({ server: info29, statsz })).leaf, undefined, "STATSZ says nothing about it");
});

test("LEAFZ answers: the connections a hub accepted, named from 2.10, unnamed before; a leaf's own links left out", (t) => {
  // Captured from a 2.15.1 hub with a standalone leaf linking APP and SYS and another linking APP only.
  const hub = parseLeafz(enc({ server: info215, data: { server_id: info215.id, leafnodes: 3, leafs: [
    { name: "edge-a-1", is_spoke: false, account: "SYS", ip: "127.0.0.1", port: 43806 },
    { name: "edge-a-1", is_spoke: false, account: "APP", ip: "127.0.0.1", port: 43822 },
    { name: "edge-b-1", is_spoke: false, account: "APP", ip: "127.0.0.1", port: 43824 },
  ] } }));
  t.deepEqual(hub, { server: "c-3", links: [{ name: "edge-a-1", account: "SYS" }, { name: "edge-a-1", account: "APP" }, { name: "edge-b-1", account: "APP" }] });
  // A 2.10 leaf lists its links to the hub as spokes: not leaves of its own.
  const leaf = parseLeafz(enc({ server: info215, data: { leafs: [{ name: "hub-2", is_spoke: true, account: "APP", ip: "127.0.0.1", port: 1 }] } }));
  t.deepEqual(leaf.links, []);
  // 2.9 sends neither name nor is_spoke.
  const old = parseLeafz(enc({ server: info29, data: { leafs: [{ account: "APP", ip: "127.0.0.1", port: 21083 }] } }));
  t.deepEqual(old, { server: "c-1", links: [{ account: "APP" }] });
  t.deepEqual(parseLeafz(enc({ server: info29, data: { leafnodes: 0 } })).links, [], "no leafs field: none");
  // Garbage entries are skipped, garbage answers refused.
  t.deepEqual(parseLeafz(enc({ server: info29, data: { leafs: [null, 7, { name: "x" }, { name: "y", account: 3 }] } })).links, []);
  t.throws(() => parseLeafz(enc({ data: { leafs: [] } })), { instanceOf: AdvertisementError });
  t.throws(() => parseLeafz(enc({ server: info29, error: { code: 500 } })), { instanceOf: AdvertisementError, message: /no "data" object/ });
  t.throws(() => parseLeafz(enc({ server: { ...info29, name: "" }, data: {} })), { instanceOf: AdvertisementError });
});
