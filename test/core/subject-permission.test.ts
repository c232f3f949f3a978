import test from "ava";
import { permits, subjectMatches } from "../../src/core/subject-permission.js";

test("literal, * and > patterns match as the server matches them", (t) => {
  const cases: [string, string, boolean][] = [
    ["versions.mismatch", "versions.mismatch", true],
    ["versions.mismatch", "versions.mismatch.c1", false],
    ["versions.*", "versions.mismatch", true],
    ["versions.*", "versions.mismatch.c1", false],
    ["versions.>", "versions.mismatch", true],
    ["versions.>", "versions.mismatch.c1", true],
    ["versions.>", "versions", false],
    [">", "versions", true],
    ["*", "versions.mismatch", false],
    ["versions.mismatch.>", "versions.mismatch", false],
    ["$SYS.REQ.SERVER.*", "$SYS.REQ.SERVER.PING", true],
    ["a.*.c", "a.b.c", true],
    ["a.*.c", "a.b.d", false],
    ["a.b", "a", false],
  ];
  for (const [pattern, subject, expected] of cases) t.is(subjectMatches(pattern, subject), expected, `${pattern} vs ${subject}`);
});

test("deny wins over allow; an empty or missing allow list allows everything", (t) => {
  t.true(permits(undefined, "x"));
  t.true(permits({}, "x"));
  t.true(permits({ allow: [] }, "x"));
  t.true(permits({ deny: ["y"] }, "x"));
  t.false(permits({ deny: ["x"] }, "x"));
  t.false(permits({ allow: ["versions.>"], deny: ["versions.mismatch"] }, "versions.mismatch"));
  t.true(permits({ allow: ["versions.>"], deny: ["versions.mismatch"] }, "versions.mismatch.c1"));
  t.false(permits({ allow: ["versions.report"] }, "versions.mismatch"));
});
