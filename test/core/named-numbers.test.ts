import test from "ava";
import { NamedNumbers } from "../../src/core/named-numbers.js";

test("numbers by name and column: set, read, unset, deleted, and their slots reused", (t) => {
  const n = new NamedNumbers(2);
  t.is(n.get("a", 0), undefined);
  n.set("a", 0, 7);
  n.set("a", 1, 1_800_000_000_123);
  t.is(n.get("a", 0), 7);
  t.is(n.get("a", 1), 1_800_000_000_123);
  n.unset("a", 0);
  t.is(n.get("a", 0), undefined);
  t.is(n.size, 1, "a name stays while it has a number");
  n.unset("a", 1);
  t.is(n.size, 0, "and goes with its last");
  n.set("b", 1, 3);
  n.delete("b");
  n.set("c", 0, 4);
  t.is(n.get("c", 1), undefined, "a reused slot keeps nothing of the name before");
});

test("many names: the columns grow; a column is unset for every name at once", (t) => {
  const n = new NamedNumbers(2);
  for (let i = 0; i < 10_000; i++) {
    n.set(`s${i}`, 0, i);
    if (i % 2) n.set(`s${i}`, 1, -i);
  }
  for (let i = 0; i < 10_000; i++) t.is(n.get(`s${i}`, 0), i);
  n.unsetColumn(0);
  t.is(n.size, 5_000);
  t.is(n.get("s1", 0), undefined);
  t.is(n.get("s1", 1), -1);
  n.clear();
  t.is(n.size, 0);
  t.is(n.get("s1", 1), undefined);
});
