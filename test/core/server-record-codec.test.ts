import test from "ava";
import { ObservationKind } from "../../src/core/observation.js";
import { decodeServerRecord, encodeServerRecord, RecordDecodeError } from "../../src/core/server-record-codec.js";
import { applyObservation, MAX_HISTORY } from "../../src/core/server-record.js";
import { observation } from "../helpers/observations.js";

const record = () => {
  let r = applyObservation(undefined, observation("n1", "2.10.22", { kind: ObservationKind.Varz, go: "go1.22", gitCommit: "abc" }), 1_700_000_000_000).record;
  r = applyObservation(r, observation("n1", "2.10.24", { id: "B", startedAt: 1_700_000_100_000 }), 1_700_000_200_000).record;
  return r;
};

test("round trip keeps every field", (t) => {
  const r = record();
  t.deepEqual(decodeServerRecord(encodeServerRecord(r)), r);
});

test("stored JSON is readable: ISO times, snake_case", (t) => {
  const json = JSON.parse(encodeServerRecord(record()));
  t.is(json.first_seen, "2023-11-14T22:13:20.000Z");
  t.is(json.schema, 1);
  t.is(json.history[1].kind, "upgrade");
});

const rejects = test.macro((t, mutate: (o: Record<string, unknown>) => unknown, message: RegExp) => {
  const o = JSON.parse(encodeServerRecord(record()));
  const bytes = typeof mutate === "function" ? JSON.stringify(mutate(o) ?? o) : "";
  const err = t.throws(() => decodeServerRecord(bytes), { instanceOf: RecordDecodeError });
  t.regex(err?.message ?? "", message);
});

test("not JSON", (t) => {
  // Raw bytes, not a JSON string: the decoder must say it is not JSON at all.
  const err = t.throws(() => decodeServerRecord("{\"name\": "), { instanceOf: RecordDecodeError });
  t.regex(err?.message ?? "", /not JSON/);
});
test("a JSON string is not a record", rejects, () => "{", /not an object/);
test("array", rejects, () => [], /not an object/);
test("unknown schema", rejects, (o) => ({ ...o, schema: 99 }), /schema/);
test("missing name", rejects, (o) => ({ ...o, name: undefined }), /"name"/);
test("bad version", rejects, (o) => ({ ...o, version: "latest" }), /"version"/);
test("bad time", rejects, (o) => ({ ...o, first_seen: "yesterday" }), /"first_seen"/);
test("bad state", rejects, (o) => ({ ...o, state: "dancing" }), /"state"/);
test("empty history", rejects, (o) => ({ ...o, history: [] }), /history/);
test("bad history entry", rejects, (o) => ({ ...o, history: [{ kind: "teleport", version: "2.10.1", at: "2024-01-01T00:00:00Z" }] }), /history/);

test("garbage bytes", (t) => {
  t.throws(() => decodeServerRecord(new Uint8Array([0xff, 0xfe, 0x00])), { instanceOf: RecordDecodeError });
});

test("the stored JSON, field by field", (t) => {
  const r = { ...record(), leaf: true as const };
  t.deepEqual(JSON.parse(encodeServerRecord(r)), {
    schema: 1,
    name: "n1",
    id: "B",
    cluster: "c1",
    domain: "",
    host: "127.0.0.1",
    version: "2.10.24",
    started_at: "2023-11-14T22:15:00.000Z",
    first_seen: "2023-11-14T22:13:20.000Z",
    version_since: "2023-11-14T22:15:00.000Z",
    last_seen: "2023-11-14T22:16:40.000Z",
    state: "running",
    state_since: "2023-11-14T22:13:20.000Z",
    history: [
      { kind: "first-seen", version: "2.10.22", at: "2023-11-14T22:13:20.000Z" },
      { kind: "upgrade", version: "2.10.24", from: "2.10.22", at: "2023-11-14T22:15:00.000Z" },
    ],
    leaf: true,
  });
  t.deepEqual(decodeServerRecord(encodeServerRecord(r)), r, "a leaf round-trips");
});

test("optional fields absent stay absent; a start time is kept", (t) => {
  const { go: _g, gitCommit: _c, startedAt: _s, ...bare } = record();
  const back = decodeServerRecord(encodeServerRecord(bare));
  t.deepEqual(back, bare);
  t.false("go" in back);
  t.false("gitCommit" in back);
  t.false("startedAt" in back);
  t.false("leaf" in back);
  const full = decodeServerRecord(encodeServerRecord({ ...record(), go: "go1.22", gitCommit: "abc" }));
  t.like(full, { go: "go1.22", gitCommit: "abc", startedAt: 1_700_000_100_000 });
});

test("a decoded version is normalised, in the record and its history", (t) => {
  const o = JSON.parse(encodeServerRecord(record()));
  const back = decodeServerRecord(JSON.stringify({ ...o, version: "v2.10.24", history: [{ kind: "first-seen", version: "v2.10.22", at: "2024-01-01T00:00:00Z" }, { kind: "upgrade", version: "v2.10.24", from: "v2.10.22", at: "2024-01-02T00:00:00Z" }] }));
  t.is(back.version, "2.10.24");
  t.deepEqual(back.history, [
    { kind: "first-seen", version: "2.10.22", at: Date.parse("2024-01-01T00:00:00Z") },
    { kind: "upgrade", version: "2.10.24", from: "2.10.22", at: Date.parse("2024-01-02T00:00:00Z") },
  ]);
});

const message = test.macro((t, mutate: (o: Record<string, unknown>) => unknown, expected: string) => {
  const o = JSON.parse(encodeServerRecord(record()));
  const err = t.throws(() => decodeServerRecord(JSON.stringify(mutate(o))), { instanceOf: RecordDecodeError });
  t.is(err?.message, expected);
  t.is(err?.name, "RecordDecodeError");
});

test("message: not an object", message, () => null, "not an object");
test("message: a number", message, () => 5, "not an object");
test("message: unknown schema", message, (o) => ({ ...o, schema: "1" }), `unknown schema "1"`);
test("message: history not a list", message, (o) => ({ ...o, history: { 0: {} } }), "history must be a non-empty array");
test("message: history longer than kept", message, (o) => ({ ...o, history: Array.from({ length: 33 }, () => (o["history"] as unknown[])[0]) }), "history must be a non-empty array");
test("message: a go that is not a string", message, (o) => ({ ...o, go: 1 }), `field "go" must be a string`);
test("message: a git commit that is not a string", message, (o) => ({ ...o, git_commit: false }), `field "git_commit" must be a string`);
test("message: a start that is not a time", message, (o) => ({ ...o, started_at: "soon" }), `field "started_at" is not a time: "soon"`);
test("message: a long bad time is cut", message, (o) => ({ ...o, last_seen: "x".repeat(50) }), `field "last_seen" is not a time: "${"x".repeat(40)}"`);
test("message: missing id", message, (o) => ({ ...o, id: undefined }), `field "id" must be a string`);
test("message: missing cluster", message, (o) => ({ ...o, cluster: undefined }), `field "cluster" must be a string`);
test("message: missing domain", message, (o) => ({ ...o, domain: undefined }), `field "domain" must be a string`);
test("message: missing host", message, (o) => ({ ...o, host: undefined }), `field "host" must be a string`);
test("message: missing version", message, (o) => ({ ...o, version: undefined }), `field "version" must be a string`);
test("message: bad version", message, (o) => ({ ...o, version: "latest" }), `field "version" is not a version`);
test("message: missing version_since", message, (o) => ({ ...o, version_since: undefined }), `field "version_since" must be a string`);
test("message: missing state_since", message, (o) => ({ ...o, state_since: undefined }), `field "state_since" must be a string`);
test("message: missing last_seen", message, (o) => ({ ...o, last_seen: undefined }), `field "last_seen" must be a string`);
test("message: bad state", message, (o) => ({ ...o, state: "dancing" }), `field "state" has an unknown value`);
test("message: a history entry not an object", message, (o) => ({ ...o, history: ["upgrade"] }), "history entries must be objects");
test("message: a null history entry", message, (o) => ({ ...o, history: [null] }), "history entries must be objects");
test("message: a history kind unknown", message, (o) => ({ ...o, history: [{ kind: "teleport", version: "2.10.1", at: "2024-01-01T00:00:00Z" }] }), `field "history.kind" has an unknown value`);
test("message: a history origin that is not a version", message, (o) => ({ ...o, history: [{ kind: "upgrade", version: "2.10.1", from: "old", at: "2024-01-01T00:00:00Z" }] }), `field "from" is not a version`);
test("message: a history entry without a time", message, (o) => ({ ...o, history: [{ kind: "upgrade", version: "2.10.1" }] }), `field "at" must be a string`);

test("a record is read back from the bytes KV hands over as well as from text", (t) => {
  const r = record();
  t.deepEqual(decodeServerRecord(new TextEncoder().encode(encodeServerRecord(r))), r);
});

test("a history of exactly the kept length is read back", (t) => {
  const o = JSON.parse(encodeServerRecord(record()));
  const history = Array.from({ length: MAX_HISTORY }, (_, i) => ({ kind: i === 0 ? "first-seen" : "rebuild", version: `2.10.24+b${i}`, at: "2024-01-01T00:00:00Z" }));
  t.is(decodeServerRecord(JSON.stringify({ ...o, history })).history.length, MAX_HISTORY);
});
