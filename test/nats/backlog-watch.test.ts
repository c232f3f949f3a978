import test from "ava";
import { BacklogWatch } from "../../src/nats/backlog-watch.js";

// How a shelf's checks (every 50 ms) see backlogs of advertisements: behind while one waits;
// caught up once a long one is gone, until a rendering shows it; a short one leaves no trace.

test("a backlog of at least the minimum, once gone, is caught up until a rendering shows it", (t) => {
  const w = new BacklogWatch(1000);
  t.is(w.see(false, 0), "steady");
  t.is(w.see(true, 100), "behind");
  t.is(w.see(true, 900), "behind");
  t.is(w.see(true, 1100), "behind");
  t.is(w.see(false, 1150), "caught-up");
  t.is(w.see(false, 1200), "caught-up", "still, while no rendering started");
  w.rendered();
  t.is(w.see(false, 1250), "steady");
});

test("a backlog shorter than the minimum is forgotten when it is gone", (t) => {
  const w = new BacklogWatch(1000);
  t.is(w.see(true, 0), "behind");
  t.is(w.see(false, 999), "steady");
  // The next backlog counts from its own start, not from the forgotten one's.
  t.is(w.see(true, 1500), "behind");
  t.is(w.see(false, 2000), "steady");
});

test("a backlog that comes back before a rendering showed the last one counts from the first", (t) => {
  const w = new BacklogWatch(1000);
  t.is(w.see(true, 0), "behind");
  t.is(w.see(false, 1200), "caught-up");
  t.is(w.see(true, 1300), "behind");
  t.is(w.see(false, 1400), "caught-up");
});
