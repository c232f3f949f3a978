import test from "ava";
import { nextBuildAt } from "../../src/nats/report-shelf.js";

test("after a rendering, the next waits twice as long as it took: about a third of a core at most", (t) => {
  t.is(nextBuildAt(1_000, 10), 1_020);
  // 100,000 servers with every digest remade: about 190 ms.
  t.is(nextBuildAt(1_000, 190), 1_380);
});

test("a slow rendering (the worker's first, cold, on a loaded machine) never holds the next back more than half a second", (t) => {
  // It once took seconds in a loaded test run: the first rendering, of a fleet still empty, was served for seconds.
  t.is(nextBuildAt(1_000, 3_000), 1_500);
  t.is(nextBuildAt(1_000, 250), 1_500);
});
