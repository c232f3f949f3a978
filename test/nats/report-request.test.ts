import test from "ava";
import { MAX_REQUEST_BYTES, parseReportRequest, RequestError } from "../../src/nats/report-request.js";

const enc = (s: string) => new TextEncoder().encode(s);

test("empty body, whitespace or {} mean no filter", (t) => {
  t.deepEqual(parseReportRequest(enc("")), {});
  t.deepEqual(parseReportRequest(enc("  \n")), {});
  t.deepEqual(parseReportRequest(enc("{}")), {});
});

test("filters and pages", (t) => {
  t.deepEqual(parseReportRequest(enc('{"cluster":"east","server":"n1","page":2,"page_size":50}')), {
    cluster: "east",
    server: "n1",
    page: 2,
    pageSize: 50,
  });
});

const refuses = test.macro((t, body: string, message: RegExp, code: number = 400) => {
  const err = t.throws(() => parseReportRequest(enc(body)), { instanceOf: RequestError });
  t.regex(err?.message ?? "", message);
  t.is(err?.code, code);
});

test("not JSON", refuses, "{cluster:east}", /not JSON/);
test("array", refuses, "[]", /must be a JSON object/);
test("null", refuses, "null", /must be a JSON object/);
test("number", refuses, "42", /must be a JSON object/);
test("unknown field", refuses, '{"clusters":"east"}', /unknown field "clusters"/);
test("cluster wrong type", refuses, '{"cluster":5}', /"cluster" must be/);
test("empty cluster", refuses, '{"cluster":""}', /"cluster" must be/);
test("page zero", refuses, '{"page":0}', /"page" must be an integer/);
test("page fraction", refuses, '{"page":1.5}', /"page" must be an integer/);
test("page as string", refuses, '{"page":"2"}', /"page" must be an integer/);
test("page size too large", refuses, '{"page_size":100000}', /"page_size" must be an integer from 1 to 1000/);
test("huge body", refuses, " ".repeat(MAX_REQUEST_BYTES + 1), /larger than/, 413);
