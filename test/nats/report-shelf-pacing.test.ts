import test from "ava";
import { nextBuildAt, renderingDue } from "../../src/nats/report-shelf.js";

test("after a rendering, the next waits twice as long as it took: about a third of a core at most", (t) => {
  t.is(nextBuildAt(1_000, 10, 10), 1_020);
  // 100,000 servers with every digest remade: about 190 ms.
  t.is(nextBuildAt(1_000, 190, 10), 1_380);
  // 100,000 servers in 33,334 clusters: about a second, and still a third of a core.
  t.is(nextBuildAt(1_000, 1_200, 4), 3_400);
});

test("a slow rendering among the worker's first (cold, on a loaded machine) never holds the next back more than half a second", (t) => {
  // It once took seconds in a loaded test run: the first rendering, of a fleet still empty, was served for seconds.
  t.is(nextBuildAt(1_000, 3_000, 1), 1_500);
  t.is(nextBuildAt(1_000, 250, 3), 1_500);
  t.is(nextBuildAt(1_000, 100, 1), 1_200);
});

test("while a backlog waits, renderings are at least 5 s apart; once a long one is taken in, the next starts at once", (t) => {
  // Each rendering while behind shows a fleet already behind, and takes a core the backlog needs.
  t.is(nextBuildAt(1_000, 10, 10, "behind"), 6_000);
  t.is(nextBuildAt(1_000, 3_000, 10, "behind"), 7_000, "a pause longer than 5 s stays");
  t.is(nextBuildAt(1_000, 100, 1, "behind"), 6_000, "also among the first renderings");
  // After a burst of 100,000 servers the pause (twice 1.8 s) held the report 3-4 s behind a complete fleet.
  t.is(nextBuildAt(1_000, 1_800, 10, "caught-up"), 1_000);
  t.is(nextBuildAt(1_000, 1_800, 10, "steady"), 4_600);
});

test("with nothing new, a report someone reads is rendered again every 5 s, one nobody read for a minute every 10 s", (t) => {
  const last = { revision: "r1", at: 100_000 };
  const read = (now: number) => renderingDue(last, { revision: "r1", now, askedAt: 99_000, unrendered: false });
  // Every second, these renderings of nothing new doubled the main thread's waits for a core.
  t.false(read(101_000));
  t.false(read(104_999));
  t.true(read(105_000));
  const unread = (now: number) => renderingDue(last, { revision: "r1", now, askedAt: 100_000 - 61_000, unrendered: false });
  t.false(unread(105_000));
  t.true(unread(110_000));
});

test("a change, a query never rendered, or no rendering yet: rendered at once", (t) => {
  const last = { revision: "r1", at: 100_000 };
  t.true(renderingDue(last, { revision: "r2", now: 100_001, askedAt: 100_000, unrendered: false }));
  t.true(renderingDue(last, { revision: "r1", now: 100_001, askedAt: 100_000, unrendered: true }));
  t.true(renderingDue(undefined, { revision: "r1", now: 100_001, askedAt: 100_000, unrendered: false }));
});
