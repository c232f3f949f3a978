import test from "ava";
import { RequestError } from "../../src/nats/report-request.js";
import { parseUpgradeRequest } from "../../src/nats/upgrade-request.js";
import { parseHealth, parseMeta } from "../../src/nats/upgrade-probe.js";

const enc = (s: string) => new TextEncoder().encode(s);

test("versions.upgrade takes nothing or a cluster; anything else is a 400", (t) => {
  t.deepEqual(parseUpgradeRequest(enc("")), {});
  t.deepEqual(parseUpgradeRequest(enc('{"cluster":"east"}')), { cluster: "east" });
  for (const bad of ["[1]", '{"cluster":3}', '{"server":"x"}', "nope", '{"cluster":""}']) {
    const err = t.throws(() => parseUpgradeRequest(enc(bad)), { instanceOf: RequestError }, bad);
    t.is(err?.code, 400, bad);
  }
});

test("HEALTHZ answers: 2.10+ with details, 2.9 with one error, a failed request, and garbage", (t) => {
  t.deepEqual(parseHealth({ server: { name: "a" }, data: { status: "ok", status_code: 200 } }), { status: "ok", statusCode: 200, errors: [] });
  t.deepEqual(
    parseHealth({ data: { status: "error", status_code: 503, errors: [{ type: "STREAM", account: "APP", stream: "ORDERS", error: "not current" }, "junk"] } }),
    { status: "error", statusCode: 503, errors: [{ type: "STREAM", account: "APP", stream: "ORDERS", error: "not current" }] },
  );
  t.deepEqual(parseHealth({ data: { status: "unavailable", error: "JetStream is not current" } }), { status: "unavailable", error: "JetStream is not current", errors: [] });
  t.deepEqual(parseHealth({ error: { code: 400, description: "bad request" } }), { status: "error", error: "bad request", errors: [] });
  t.is(parseHealth({ data: { status: 3 } }), undefined);
  t.is(parseHealth({}), undefined);
});

test("JSZ meta views: a leader and its replicas; no leader is no view", (t) => {
  t.deepEqual(parseMeta({ data: { meta_cluster: { leader: "b", replicas: [{ name: "a", current: true, active: 1 }, { name: "c", current: false, offline: true, lag: 4 }, { bad: 1 }] } } }), {
    leader: "b",
    replicas: [
      { name: "a", current: true, offline: false },
      { name: "c", current: false, offline: true, lag: 4 },
    ],
  });
  t.is(parseMeta({ data: { meta_cluster: { leader: "" } } }), undefined);
  t.is(parseMeta({ data: {} }), undefined);
});
