import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import type { VersionReport } from "../../src/core/version-report.js";
import { bundledAdvisories, bundledReleases } from "../../src/data/bundled.js";
import { JournaledFleet } from "../../src/nats/fleet-journal.js";
import { ReportShelf } from "../../src/nats/report-shelf.js";
import { captureLogger, waitUntil } from "../helpers/cluster.js";
import { observation } from "../helpers/observations.js";

// The shelf at a start, with a real report worker: while the fleet takes its servers as they are
// read from KV, nothing is rendered (each rendering would show a part of them, and be thrown away);
// once the load is complete, the worker renders the whole fleet at once.

const SERVERS = 2000;
const policy = { maxMismatchMs: 24 * 3_600_000, activityWindowMs: 3_600_000 };

test("no rendering while the fleet is loading; the whole fleet rendered once it is loaded", async (t) => {
  const now = () => Date.now();
  const book = new AdvisoryBook(bundledAdvisories, bundledReleases);
  // The shelf reads the fleet through `sources`; the fleet journals to the shelf.
  const holder: { fleet?: JournaledFleet } = {};
  const shelf = new ReportShelf({
    log: captureLogger("warn").log,
    now,
    fleetPolicy: { offlineAfterMs: 60_000 },
    advisories: bundledAdvisories,
    sources: () => ({ fleet: holder.fleet!, book, inventory: undefined }),
    context: () => ({ now: now(), policy, since: new Map(), lastPing: undefined, pingsRefused: false, warnings: [], maxPayload: 64 * 1024 * 1024 }),
    revision: () => String(holder.fleet!.revision),
  });
  shelf.start();
  t.teardown(() => shelf.stop());
  const fleet = new JournaledFleet({ offlineAfterMs: 60_000 }, shelf.journal);
  holder.fleet = fleet;
  // Loading in slices, as the records arrive: several checks (every 50 ms) see the fleet change.
  for (let slice = 0; slice < 4; slice++) {
    for (let i = slice * (SERVERS / 4); i < (slice + 1) * (SERVERS / 4); i++) fleet.set(record(i, now()));
    await new Promise((r) => setTimeout(r, 120));
  }
  // The worker loads its modules meanwhile; a rendering would have been asked for by now.
  await new Promise((r) => setTimeout(r, 300));
  t.is(shelf.stats.background_builds, 0, "nothing rendered during the load");

  shelf.loaded();
  await waitUntil("the first rendering", () => (shelf.stats.background_builds >= 1 ? true : undefined), 20_000, 10);
  const served = JSON.parse(new TextDecoder().decode(shelf.serve({}))) as VersionReport;
  t.is(served.server_count, SERVERS, "the worker's rendering, of the whole fleet");
  t.is(shelf.stats.on_request_builds, 0, "served from the worker, not built on request");

  // A query asked for the first time is built on this thread, once: the digests that build made
  // are not kept here (the worker keeps its own), so this thread holds none for every cluster.
  const held = fleet.digest("c7", now());
  t.is(fleet.digest("c7", now()), held, "a digest is held while nothing lets it go");
  const one = JSON.parse(new TextDecoder().decode(shelf.serve({ cluster: "c3" }))) as VersionReport;
  t.is(one.server_count, SERVERS / 20);
  t.is(shelf.stats.on_request_builds, 1);
  t.not(fleet.digest("c7", now()), held, "the build on request let the digests go");
});

function record(i: number, at: number) {
  const version = i % 10 === 0 ? "2.11.1" : "2.10.27";
  const o = observation(`s${i}`, version, { cluster: `c${i % 20}` });
  return { name: o.name, id: o.id, cluster: o.cluster, domain: "", host: "10.0.0.1", version, firstSeen: at, versionSince: at, lastSeen: at, state: "running" as const, stateSince: at, history: [{ kind: "first-seen" as const, version, at }] };
}
