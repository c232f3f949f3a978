import test from "ava";
import { mismatchSubject, subjectToken } from "../../src/core/event-subject.js";

test("a cluster name keeps letters, digits, _ and -; every other character becomes _", (t) => {
  t.is(subjectToken("east-1_B"), "east-1_B");
  t.is(subjectToken("us.east 1"), "us_east_1");
  t.is(subjectToken("a*b>c"), "a_b_c");
  t.is(subjectToken("zürich"), "z_rich");
});

test("an empty cluster name is still one token: _", (t) => {
  t.is(subjectToken(""), "_");
});

test("the system's event goes on <prefix>.mismatch, a cluster's on <prefix>.mismatch.<cluster token>", (t) => {
  t.is(mismatchSubject("versions", {}), "versions.mismatch");
  t.is(mismatchSubject("versions", { cluster: null }), "versions.mismatch");
  t.is(mismatchSubject("versions", { cluster: "east" }), "versions.mismatch.east");
  t.is(mismatchSubject("$VMON.events", { cluster: "us.east" }), "$VMON.events.mismatch.us_east");
  t.is(mismatchSubject("versions", { cluster: "" }), "versions.mismatch._", "an empty name is a cluster too, not the system");
});
