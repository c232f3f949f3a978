import test from "ava";
import { listsName, NO_NAMES, sameNames, sortedNames } from "../../src/core/sorted-names.js";
import { StringPool } from "../../src/core/string-pool.js";

test("sortedNames sorts, drops repeats, and shares one empty list", (t) => {
  t.deepEqual(sortedNames(["c", "a", "c", "b"]), ["a", "b", "c"]);
  t.is(sortedNames([]), NO_NAMES);
  t.true(Object.isFrozen(NO_NAMES));
  const held = "b";
  const out = sortedNames(["b", "a"], (n) => (n === "b" ? held : n));
  t.is(out[1], held);
});

test("listsName answers as includes does, for random sorted lists (200 cases)", (t) => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let c = 0; c < 200; c++) {
    const names = Array.from({ length: rand(12) }, () => `s${rand(20)}`);
    const list = sortedNames(names);
    for (let q = 0; q < 25; q++) {
      const name = `s${rand(22)}`;
      t.is(listsName(list, name), names.includes(name), `${name} in ${list.join(",")}`);
    }
  }
});

test("sameNames compares in order", (t) => {
  t.true(sameNames(["a", "b"], ["a", "b"]));
  t.false(sameNames(["a", "b"], ["a"]));
  t.false(sameNames(["a", "b"], ["a", "c"]));
  t.true(sameNames(NO_NAMES, []));
});

test("the string pool returns the first instance of equal strings, and starts afresh past its bound", (t) => {
  const pool = new StringPool(3);
  const first = ["2.10", "27"].join(".");
  const again = ["2.10", "27"].join(".");
  t.is(pool.intern(first), first);
  t.is(pool.intern(again), first);
  pool.intern("b");
  pool.intern("c");
  t.is(pool.size, 3);
  pool.intern("d");
  t.is(pool.size, 1, "a fourth distinct string: the pool starts again, it never grows past its bound");
  t.is(pool.intern(again), again);
});
