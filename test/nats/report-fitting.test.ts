import test from "ava";
import { AdvisoryBook } from "../../src/core/advisory-book.js";
import { Fleet } from "../../src/core/fleet.js";
import { defaultMismatchPolicy } from "../../src/core/mismatch-policy.js";
import { defaultReportLimits } from "../../src/core/version-report.js";
import { bundledAdvisories, bundledReleases } from "../../src/data/bundled.js";
import { encodeReport, FittedLimits, renderReport, type ReportContext } from "../../src/nats/report-encoding.js";
import { observation } from "../helpers/observations.js";

// A whole-system report of many clusters does not fit max_payload at the default limits. The
// worker remembers the limits it fitted with, so the next rendering is built once; the reply is
// the same as one worked out from the defaults.

const NOW = 1_800_000_000_000;
const fleet = new Fleet({ offlineAfterMs: 3_600_000 });
for (let i = 0; i < 3_000; i++) fleet.observe(observation(`s${i}`, i % 10 === 0 ? "2.11.1" : "2.10.27", { cluster: `c${i % 1_500}` }), NOW);
const sources = { fleet, book: new AdvisoryBook(bundledAdvisories, bundledReleases), inventory: undefined };
const ctx = (maxPayload: number): ReportContext => ({ now: NOW, policy: defaultMismatchPolicy, since: new Map(), lastPing: undefined, pingsRefused: false, warnings: [], maxPayload });
const bytesOf = (r: ReturnType<typeof renderReport>) => ("bytes" in r ? r.bytes : new Uint8Array());

test("a report that did not fit at the defaults starts from the limits it fitted with, and reads the same", (t) => {
  const full = encodeReport(sources, ctx(64 * 1024 * 1024), {}).length;
  const max = Math.floor(full / 1.5);
  const fits = new FittedLimits();
  const first = bytesOf(renderReport(sources, ctx(max), "{}", {}, undefined, fits));
  t.true(first.length <= max && first.length > 0);
  const start = fits.start("{}");
  t.truthy(start, "the shrunk limits are remembered");
  t.true(start!.maxOutliers < defaultReportLimits.maxOutliers);
  const second = bytesOf(renderReport(sources, ctx(max), "{}", {}, undefined, fits));
  t.deepEqual(second, first);
  t.deepEqual(second, encodeReport(sources, ctx(max), {}), "the same as from the defaults");
  t.is(fits.start("{ \"cluster\": \"c1\" }"), undefined, "kept per query");
});

test("once twice as much would fit (max_payload grew, or the fleet shrank), the defaults are tried again", (t) => {
  const full = encodeReport(sources, ctx(64 * 1024 * 1024), {}).length;
  const fits = new FittedLimits();
  renderReport(sources, ctx(Math.floor(full / 1.5)), "{}", {}, undefined, fits);
  t.truthy(fits.start("{}"));
  // Four times the room: the shrunk report takes at most half of it; the next rendering starts from the defaults.
  const roomy = ctx(full * 4);
  const shrunk = bytesOf(renderReport(sources, roomy, "{}", {}, undefined, fits));
  t.true(shrunk.length * 2 <= full * 4);
  t.is(fits.start("{}"), undefined);
  t.deepEqual(bytesOf(renderReport(sources, roomy, "{}", {}, undefined, fits)), encodeReport(sources, roomy, {}), "the whole report, as from the defaults");
});
