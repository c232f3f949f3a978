import test from "ava";
import { parseInventoryFile } from "../../src/config/inventory-file.js";
import { ConfigError } from "../../src/config/config-error.js";
import { Fleet } from "../../src/core/fleet.js";
import { assessInventory, entryFor, InventoryError, parseInventory, parseInventoryEntry, withinPin } from "../../src/core/inventory.js";
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

test("a parsed entry has exactly the fields given, labels always", (t) => {
  t.deepEqual(parseInventoryEntry({ name: "a" }, 0), { name: "a", labels: {} });
  t.deepEqual(parseInventoryEntry({ pattern: "edge-?", cluster: "edge", version: "~2.10", labels: { pipeline: "helm", owner: "ops" } }, 0), {
    pattern: "edge-?",
    cluster: "edge",
    version: "~2.10",
    labels: { pipeline: "helm", owner: "ops" },
  });
  t.deepEqual(parseInventoryEntry({ name: "n".repeat(256) }, 0), { name: "n".repeat(256), labels: {} });
});

test("every fault of an entry is an InventoryError naming the field and the entry's index", (t) => {
  const fault = (raw: unknown, message: string) => {
    const err = t.throws(() => parseInventoryEntry(raw, 3), { instanceOf: InventoryError, message });
    t.is(err?.at, 3);
    t.is(err?.name, "InventoryError");
  };
  fault("a", "an entry must be a mapping (name, cluster, version, labels)");
  fault(["a"], "an entry must be a mapping (name, cluster, version, labels)");
  fault({ name: "a", colour: "red" }, `unknown field "colour" (fields: name, pattern, cluster, version, labels)`);
  fault({ name: "" }, `"name" must be a non-empty string without spaces`);
  fault({ name: "a b" }, `"name" must be a non-empty string without spaces`);
  fault({ name: " a" }, `"name" must be a non-empty string without spaces`);
  fault({ name: "a " }, `"name" must be a non-empty string without spaces`);
  fault({ name: "n".repeat(257) }, `"name" must be a non-empty string without spaces`);
  fault({ name: 7 }, `"name" must be a non-empty string without spaces`);
  fault({ pattern: "edge *" }, `"pattern" must be a non-empty string without spaces`);
  fault({ name: "a", cluster: "" }, `"cluster" must be a non-empty string without spaces`);
  fault({}, `give either "name" or "pattern"`);
  fault({ name: "a", pattern: "a*" }, `give either "name" or "pattern"`);
  fault({ name: "a", version: 2.1 }, `"version" 2.1 is not a version or semver range`);
  fault({ name: "a", version: "latest" }, `"version" "latest" is not a version or semver range`);
  fault({ name: "a", labels: ["pipeline"] }, `"labels" must be a mapping of names to strings`);
  fault({ name: "a", labels: "pipeline=helm" }, `"labels" must be a mapping of names to strings`);
  fault({ name: "a", labels: { pipeline: "helm", owner: 7 } }, `label "owner" must be a string`);
});

test("an inventory: the servers list required, a name listed twice named with the second index; patterns may repeat", (t) => {
  const fault = (raw: unknown, message: string, at: number | undefined) => {
    const err = t.throws(() => parseInventory(raw), { instanceOf: InventoryError, message });
    t.is(err?.at, at);
  };
  fault([], `an inventory is a mapping with a "servers" list`, undefined);
  fault({ servers: { a: {} } }, `an inventory is a mapping with a "servers" list`, undefined);
  fault({ servers: [{ name: "a" }, { pattern: "b*" }, { name: "a" }] }, `the server "a" is listed twice`, 2);
  fault({ servers: [{ name: "a" }, { name: 5 }] }, `"name" must be a non-empty string without spaces`, 1);
  t.is(parseInventory({ servers: [{ pattern: "b*" }, { pattern: "b*" }, { name: "a" }] }).entries.length, 3);
});

test("patterns: * is any run of characters, ? exactly one, everything else literal", (t) => {
  const inv = parseInventory({
    servers: [{ pattern: "edge-?.eu", labels: { pipeline: "one" } }, { pattern: "core(1)+*", labels: { pipeline: "star" } }],
  });
  const [a, b, c, d, e] = records([["edge-1.eu", "2.10.27"], ["edge-12.eu", "2.10.27"], ["edge-1xeu", "2.10.27"], ["core(1)+", "2.10.27"], ["core(1)+x.y", "2.10.27"]]);
  t.is(entryFor(inv, a!)?.pattern, "edge-?.eu");
  t.is(entryFor(inv, b!), undefined, "? is one character");
  t.is(entryFor(inv, c!), undefined, ". is a dot");
  t.is(entryFor(inv, d!)?.pattern, "core(1)+*", "* may be empty; ( ) + are literal");
  t.is(entryFor(inv, e!)?.pattern, "core(1)+*");
  const [x] = records([["xedge-1.eu", "2.10.27"]]);
  t.is(entryFor(inv, x!), undefined, "a pattern matches the whole name");
});

test("a pattern with a cluster matches only servers of that cluster; the first matching pattern wins", (t) => {
  const inv = parseInventory({ servers: [{ pattern: "edge-*", cluster: "west" }, { pattern: "edge-*", labels: { pipeline: "any" } }] });
  const [east, west] = records([["edge-1", "2.10.27", "east"], ["edge-2", "2.10.27", "west"]]);
  t.deepEqual(entryFor(inv, east!), { pattern: "edge-*", labels: { pipeline: "any" } });
  t.deepEqual(entryFor(inv, west!), { pattern: "edge-*", cluster: "west", labels: {} });
  const onlyWest = parseInventory({ servers: [{ pattern: "edge-*", cluster: "west" }] });
  t.deepEqual(assessInventory(onlyWest, [east!], [east!]).missing, [{ name: "edge-*", cluster: "west", last_seen: null }]);
  t.deepEqual(assessInventory(onlyWest, [west!], [west!]).missing, []);
});

test("findings are sorted by name; drift without a pipeline label says null", (t) => {
  const inv = parseInventory({
    servers: [{ name: "m", version: "2.10.27" }, { name: "d", version: "2.10.27" }, { name: "z" }, { name: "b" }],
  });
  const live = records([["m", "2.9.0"], ["y", "2.10.27"], ["d", "2.9.1"], ["c", "2.10.27"]]);
  const f = assessInventory(inv, live, live);
  t.deepEqual(f.drift, [
    { name: "d", cluster: "east", version: "2.9.1", pinned: "2.10.27", pipeline: null },
    { name: "m", cluster: "east", version: "2.9.0", pinned: "2.10.27", pipeline: null },
  ]);
  t.deepEqual(f.unexpected.map((u) => u.name), ["c", "y"]);
  t.deepEqual(f.missing.map((m) => m.name), ["b", "z"]);
  t.deepEqual([...f.pipelineOf], []);
});

test("a server within its pin is not drift; an entry without a version pins nothing", (t) => {
  const inv = parseInventory({ servers: [{ name: "a", version: "~2.10", labels: { pipeline: "p" } }, { name: "b" }] });
  const live = records([["a", "v2.10.5"], ["b", "1.0.0"]]);
  const f = assessInventory(inv, live, live);
  t.deepEqual(f.drift, []);
  t.deepEqual(f.missing, []);
  t.deepEqual(f.unexpected, []);
  t.deepEqual([...f.pipelineOf], [["a", "p"]]);
});
