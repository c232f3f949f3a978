import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { observation } from "../helpers/observations.js";

const names = (f: Fleet, cluster: string) => [...f.clusterRecords(cluster)].map((r) => r.name).sort();

test("clusterRecords follows servers into their cluster, out of it when they move or are forgotten", (t) => {
  const f = new Fleet({ offlineAfterMs: 1000 });
  f.observe(observation("a", "2.10.27", { cluster: "east" }), 100);
  f.observe(observation("b", "2.10.27", { cluster: "east" }), 100);
  f.observe(observation("c", "2.10.27", { cluster: "west" }), 100);
  t.deepEqual(names(f, "east"), ["a", "b"]);
  t.deepEqual(names(f, "west"), ["c"]);
  t.deepEqual(names(f, "north"), []);
  // A restart into another cluster moves it.
  f.observe(observation("b", "2.10.27", { cluster: "west", id: "b2" }), 200);
  t.deepEqual(names(f, "east"), ["a"]);
  t.deepEqual(names(f, "west"), ["b", "c"]);
  t.is([...f.clusterRecords("west")].find((r) => r.name === "b")!.id, "b2", "the current record, not the one indexed first");
  // set() of a stored record moves it too.
  f.set({ ...f.get("a")!, cluster: "north" });
  t.deepEqual(names(f, "east"), []);
  t.deepEqual(names(f, "north"), ["a"]);
  // Forgotten servers leave their cluster.
  f.observe(observation("c", "2.10.27", { cluster: "west" }), 5000);
  f.forget(5000, 3000);
  t.deepEqual(names(f, "west"), ["c"]);
  t.deepEqual(names(f, "north"), []);
  t.is(f.size, 1);
});
