// npm run mutate: Stryker over src/core/, one source file at a time, each against only the unit tests
// that import it (directly or through other modules). A test that never loads a file cannot kill its
// mutants, so this selects exactly the tests that can — the file-level equivalent of Stryker's
// per-test coverage, which its command runner (ava has no Stryker runner) cannot provide. It turns a
// multi-hour run of the whole core suite per mutant into about half a second per mutant.
//
// Usage: node --import tsx scripts/mutate.ts [src/core/file.ts ...]
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult } from "@stryker-mutator/api/core";

const root = resolve(import.meta.dirname, "..");
const threshold = 85;
const detected = new Set(["Killed", "Timeout"]);
const undetected = new Set(["Survived", "NoCoverage"]);

function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    found.push(resolve(dirname(file), match[1]!.replace(/\.js$/, ".ts")));
  }
  return found;
}

function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const next of localImports(file)) closure(next, seen);
  return seen;
}

function listTs(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir))
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(root, dir, name));
}

const sources = process.argv.length > 2
  ? process.argv.slice(2).map((arg) => resolve(arg))
  : listTs("src/core", ".ts");
const tests = listTs("test/core", ".test.ts").map((file) => ({ file, loads: closure(file) }));

// Each file's result is kept under reports/mutation/files/, keyed by the contents of the file and of
// every module its tests load: a run after a change mutates only what the change can affect.
const cacheDir = join(root, "reports/mutation/files");
mkdirSync(cacheDir, { recursive: true });
type Kept = Pick<MutantResult, "status" | "mutatorName" | "replacement" | "location">;
const results: Array<{ source: string; mutants: Kept[] }> = [];
for (const source of sources) {
  const name = relative(root, source);
  const covering = tests.filter((test) => test.loads.has(source));
  const inputs = [...new Set([source, ...covering.flatMap((test) => [...test.loads])])].sort();
  const hash = createHash("sha256");
  for (const file of inputs) hash.update(file).update(existsSync(file) ? readFileSync(file) : "");
  const digest = hash.digest("hex");
  const cached = join(cacheDir, name.replace(/[/\\]/g, "_") + ".json");
  if (existsSync(cached)) {
    const kept = JSON.parse(readFileSync(cached, "utf8")) as { digest: string; mutants: Kept[] };
    if (kept.digest === digest) {
      process.stderr.write(`\n== ${name}: unchanged since the last run, ${kept.mutants.length} mutants\n`);
      results.push({ source: name, mutants: kept.mutants });
      continue;
    }
  }
  process.stderr.write(`\n== ${name}: ${covering.length} test file(s)\n`);
  const command = covering.length === 0
    ? "true" // no unit test loads it: every mutant survives, and is counted so
    : `node_modules/.bin/ava --fail-fast ${covering.map((test) => relative(root, test.file)).join(" ")}`;
  const mutants = await new Stryker({
    configFile: join(root, "stryker.config.json"),
    mutate: [name],
    commandRunner: { command },
    reporters: ["progress"],
    thresholds: { high: 90, low: threshold, break: null }, // judged once, over the whole core, below
  }).runMutationTest();
  const kept: Kept[] = mutants.map(({ status, mutatorName, replacement, location }) => ({ status, mutatorName, replacement, location }));
  writeFileSync(cached, JSON.stringify({ digest, mutants: kept }));
  results.push({ source: name, mutants: kept });
}

const rows = results.map(({ source, mutants }) => {
  const killed = mutants.filter((m) => detected.has(m.status)).length;
  const missed = mutants.filter((m) => undetected.has(m.status));
  return { source, killed, missed };
});
const killed = rows.reduce((sum, row) => sum + row.killed, 0);
const valid = killed + rows.reduce((sum, row) => sum + row.missed.length, 0);
const score = valid === 0 ? 100 : (100 * killed) / valid;

const lines = ["| file | mutants | detected | survived | score |", "| --- | --- | --- | --- | --- |"];
for (const row of rows) {
  const total = row.killed + row.missed.length;
  const fileScore = total === 0 ? 100 : (100 * row.killed) / total;
  lines.push(`| ${row.source} | ${total} | ${row.killed} | ${row.missed.length} | ${fileScore.toFixed(1)} % |`);
}
lines.push(`| **src/core** | ${valid} | ${killed} | ${valid - killed} | **${score.toFixed(2)} %** |`, "", "Survivors:");
for (const row of rows) {
  for (const mutant of row.missed) {
    const at = mutant.location.start;
    const replacement = (mutant.replacement ?? "").replace(/\s+/g, " ").slice(0, 100);
    lines.push(`- ${row.source}:${at.line}:${at.column + 1} ${mutant.mutatorName} (${mutant.status}): \`${replacement}\``);
  }
}
mkdirSync(join(root, "reports/mutation"), { recursive: true });
writeFileSync(join(root, "reports/mutation/summary.md"), lines.join("\n") + "\n");
process.stdout.write(lines.join("\n") + "\n");
if (score < threshold) {
  process.stderr.write(`mutation score ${score.toFixed(2)} % is below ${threshold} %\n`);
  process.exit(1);
}
