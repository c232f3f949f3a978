import test from "ava";
import { formatAgo } from "../../src/core/format-ago.js";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test("under a minute: whole seconds, rounded down; negative durations are 0s", (t) => {
  t.is(formatAgo(0), "0s");
  t.is(formatAgo(999), "0s");
  t.is(formatAgo(1_999), "1s");
  t.is(formatAgo(59 * S + 999), "59s");
  t.is(formatAgo(-5 * S), "0s");
});

test("from a minute to an hour: whole minutes", (t) => {
  t.is(formatAgo(M), "1m");
  t.is(formatAgo(M + 59 * S), "1m");
  t.is(formatAgo(59 * M + 59 * S), "59m");
});

test("from an hour to a day: hours, and minutes when there are any", (t) => {
  t.is(formatAgo(H), "1h");
  t.is(formatAgo(H + M), "1h1m");
  t.is(formatAgo(3 * H + 5 * M + 30 * S), "3h5m");
  t.is(formatAgo(23 * H + 59 * M), "23h59m");
});

test("a day or more: days, and hours when there are any; minutes are dropped", (t) => {
  t.is(formatAgo(D), "1d");
  t.is(formatAgo(D + 59 * M), "1d");
  t.is(formatAgo(D + H), "1d1h");
  t.is(formatAgo(2 * D + 4 * H + 30 * M), "2d4h");
  t.is(formatAgo(30 * D), "30d");
});
