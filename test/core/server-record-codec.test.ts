import test from "ava";
import { ObservationKind } from "../../src/core/observation.js";
import { decodeServerRecord, encodeServerRecord, RecordDecodeError } from "../../src/core/server-record-codec.js";
import { applyObservation } from "../../src/core/server-record.js";
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
