import test from "ava";
import { PING_ANSWER_MS, PingRounds } from "../../src/core/ping-rounds.js";

test("answers are counted per round; the last settled round is the one reported", (t) => {
  const rounds = new PingRounds();
  t.is(rounds.last(0), undefined);
  const first = rounds.begin(0);
  rounds.answered(first, "a");
  t.is(rounds.last(10)?.answered.size, 1, "the first round, while it is the only one");
  rounds.answered(first, "b");
  rounds.answered(first, "b");
  const second = rounds.begin(30_000);
  rounds.answered(first, "c"); // late answer to the earlier round
  rounds.answered(second, "a");
  t.deepEqual([...rounds.last(30_000 + PING_ANSWER_MS - 1)!.answered].sort(), ["a", "b", "c"], "the new round is still being answered");
  t.deepEqual([...rounds.last(30_000 + PING_ANSWER_MS)!.answered], ["a"]);
  rounds.begin(60_000);
  rounds.answered(first, "z"); // too old to count anywhere
  t.false(rounds.last(60_000)!.answered.has("z"));
});

test("an answer before any ping, or to a round long gone, is ignored without harm", (t) => {
  const rounds = new PingRounds();
  t.notThrows(() => rounds.answered("1", "a"));
  t.is(rounds.last(0), undefined);
  rounds.begin(0);
  t.notThrows(() => rounds.answered("99", "a"), "no previous round yet");
  t.is(rounds.last(0)!.answered.size, 0);
});
