import test from "ava";
import { parseInventoryFile } from "../../src/config/inventory-file.js";
import { ConfigError } from "../../src/config/config-error.js";
import { Fleet } from "../../src/core/fleet.js";
import { assessInventory, entryFor, parseInventory, withinPin } from "../../src/core/inventory.js";
import { observation } from "../helpers/observations.js";

function records(list: [string, string, string?][], now = 1000) {
  const f = new Fleet({ offlineAfterMs: 120_000 });
  for (const [name, v, cluster] of list) f.observe(observation(name, v, { cluster: cluster ?? "east" }), now);
  return [...f.records()];
}

test("pins: exact versions and ranges, pre-releases counted", (t) => {
  t.true(withinPin("2.10.27", "2.10.27"));
  t.false(withinPin("2.10.26", "2.10.27"));
  t.true(withinPin("2.10.3", "~2.10"));
  t.false(withinPin("2.11.0", "~2.10"));
  t.true(withinPin("2.11.0-RC.1", ">=2.10.0 <2.12.0"));
  t.true(withinPin("v2.10.27+build.4", "2.10.27"));
  t.false(withinPin("banana", "*"));
});

test("names before patterns; a cluster in an entry must match", (t) => {
  const inv = parseInventory({
    servers: [
      { pattern: "edge-*", cluster: "edge", labels: { pipeline: "fleet" } },
      { name: "edge-7", cluster: "edge", version: "2.10.27" },
      { name: "n1", cluster: "west" },
    ],
  });
  const [e7, e8, n1] = records([["edge-7", "2.10.27", "edge"], ["edge-8", "2.10.27", "edge"], ["n1", "2.10.27", "east"]]);
  t.is(entryFor(inv, e7!)?.name, "edge-7");
  t.is(entryFor(inv, e8!)?.pattern, "edge-*");
  t.is(entryFor(inv, n1!), undefined, "n1 is expected in west, not east");
});

test("one drift, one missing, one unexpected: exactly those", (t) => {
  const inv = parseInventory({
    servers: [
      { name: "a", version: "2.10.27", labels: { pipeline: "ansible" } },
      { name: "b", version: "~2.10", labels: { pipeline: "helm" } },
      { name: "gone", cluster: "east" },
      { pattern: "edge-*" },
    ],
  });
  const live = records([["a", "2.9.10"], ["b", "2.10.3"], ["stray", "2.15.1"]]);
  const f = assessInventory(inv, live, live);
  t.deepEqual(f.drift, [{ name: "a", cluster: "east", version: "2.9.10", pinned: "2.10.27", pipeline: "ansible" }]);
  t.deepEqual(f.missing, [{ name: "edge-*", cluster: null, last_seen: null }, { name: "gone", cluster: "east", last_seen: null }]);
  t.deepEqual(f.unexpected, [{ name: "stray", cluster: "east", version: "2.15.1" }]);
  t.deepEqual([...f.pipelineOf], [["a", "ansible"], ["b", "helm"]]);
});

test("a known server gone quiet is missing, with when it was last heard", (t) => {
  const inv = parseInventory({ servers: [{ name: "a" }] });
  const known = records([["a", "2.10.27"]], 5000);
  t.deepEqual(assessInventory(inv, [], known).missing, [{ name: "a", cluster: null, last_seen: 5000 }]);
});

test("files: YAML and JSON, and every fault named with its line", (t) => {
  const yaml = "servers:\n  - name: a\n    cluster: east\n    version: '2.10.27'\n    labels: { pipeline: ansible, owner: team-a }\n  - pattern: 'edge-*'\n";
  t.deepEqual(parseInventoryFile(yaml, "inv.yaml").entries.map((e) => e.name ?? e.pattern), ["a", "edge-*"]);
  t.is(parseInventoryFile(JSON.stringify({ servers: [{ name: "a" }] }), "inv.json").entries.length, 1);
  const bad = (text: string, msg: RegExp) => t.throws(() => parseInventoryFile(text, "inv.yaml"), { instanceOf: ConfigError, message: msg });
  bad("servers:\n  - name: a\n  - name: b\n    version: 'two point ten'\n", /^inv\.yaml:3: servers\[1\]: "version" "two point ten" is not a version or semver range$/);
  bad("servers:\n  - name: a\n    colour: red\n", /^inv\.yaml:2: servers\[0\]: unknown field "colour"/);
  bad("servers:\n  - cluster: east\n", /^inv\.yaml:2: servers\[0\]: give either "name" or "pattern"/);
  bad("servers:\n  - name: a\n  - name: a\n", /^inv\.yaml:3: servers\[1\]: the server "a" is listed twice/);
  bad("servers: [\n  { name: a\n", /^inv\.yaml:\d+: /);
  bad("hosts: []\n", /^inv\.yaml:1: an inventory is a mapping with a "servers" list/);
});
