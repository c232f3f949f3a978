import test from "ava";
import { ProbeSettling } from "../../src/core/probe-settling.js";

test("a probe counts as settled once its grace has passed, not when it is sent", (t) => {
  const p = new ProbeSettling(1_000);
  t.is(p.settled(0), 0);
  p.sent(100);
  p.sent(600);
  t.is(p.settled(100), 0);
  t.is(p.settled(1_099), 0);
  t.is(p.settled(1_100), 1);
  t.is(p.settled(1_599), 1);
  t.is(p.settled(1_600), 2);
  t.is(p.settled(60_000), 2);
});

test("several settle in one step; a long run of probes keeps counting past the compaction", (t) => {
  const p = new ProbeSettling(1_000);
  for (let i = 0; i < 5_000; i++) p.sent(i);
  t.is(p.settled(999), 0);
  t.is(p.settled(1_000), 1);
  t.is(p.settled(3_000), 2_001);
  for (let i = 5_000; i < 10_000; i++) p.sent(i);
  t.is(p.settled(5_999), 5_000);
  t.is(p.settled(10_999), 10_000);
  p.sent(20_000);
  t.is(p.settled(20_999), 10_000);
  t.is(p.settled(21_000), 10_001);
});
