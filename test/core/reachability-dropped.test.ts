import test from "ava";
import { Fleet } from "../../src/core/fleet.js";
import { clustersToProbe } from "../../src/core/reachability.js";
import { observation } from "../helpers/observations.js";

// Whether a peer dropped a server is decided from the cluster's two latest sightings before any
// peer is looked at; these pin down that shortcut's edges (the server's own sighting being the latest).
const T0 = 1_000_000;

function advertise(f: Fleet, name: string, routes: string[], at: number): void {
  f.observe(observation(name, "2.10.27", { statsz: { routes, gateways: [], connections: 0, jetstream: true } }), at);
}

test("the server's own advertisement is the latest: the peer behind it still counts", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  advertise(f, "a", ["b"], T0);
  advertise(f, "b", [], T0 + 1_000); // b no longer lists a, heard after a...
  t.deepEqual(clustersToProbe(f, T0 + 1_500), ["c1"]);
  // ...but a speaks again after that.
  advertise(f, "a", ["b"], T0 + 2_000);
  // a is the latest sighting; b (the second latest, T0 + 1 s) is not after a's last-seen: nothing dropped since.
  t.deepEqual(clustersToProbe(f, T0 + 3_000), []);
  // b advertises again without a, after a was last heard: dropped.
  advertise(f, "b", [], T0 + 2_500);
  t.deepEqual(clustersToProbe(f, T0 + 3_000), ["c1"]);
});

test("a peer listing the server, heard after it, keeps the cluster quiet; one not listing it does not", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  advertise(f, "a", ["b", "c"], T0);
  advertise(f, "b", ["a", "c"], T0 + 1_000);
  advertise(f, "c", ["a", "b"], T0 + 1_000);
  t.deepEqual(clustersToProbe(f, T0 + 2_000), []);
  advertise(f, "c", ["b"], T0 + 1_500);
  t.deepEqual(clustersToProbe(f, T0 + 2_000), ["c1"], "c, heard after a, dropped it");
});

test("a lone server has no peers to drop it", (t) => {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  advertise(f, "a", [], T0);
  t.deepEqual(clustersToProbe(f, T0 + 2_000), []);
});
