/**
 * Compiles the bundled security-advisory dataset (src/data/advisories.json) from a local checkout of
 * nats-io/advisories, and the table of nats-server releases (src/data/releases.json) from a local
 * checkout of nats-io/nats-server.
 *
 *   npx tsx scripts/build-advisories.ts --advisories <dir> --nats-server <dir> \
 *     --out src/data/advisories.json --releases-out src/data/releases.json
 *
 * Both checkouts are read with git only (bare clones work): the advisories at HEAD, the releases from
 * the tags. Output is a pure function of the two repositories, so a rerun reproduces identical JSON.
 *
 * Advisories are the regular files under CVE/; symlinks there (CVE-*.txt, GHSA-*.txt pointing at a
 * secnote) are resolved and only checked, never counted twice. Every fact comes from the texts:
 *   - id: the CVE, else the GHSA, else "NATS-<NATS-advisory-ID>"; aliases: every other CVE / GHSA /
 *     GO id in the `CVE:` / `Aliases:` headers and the References section, then "NATS-<NATS-advisory-ID>"
 *     (the header value as written);
 *   - published: `Date:`; summary: `Subject:`;
 *   - severity: a `Severity:` (or `CVSS:`) header if the text has one, else the annotation the
 *     repository's own index.md puts on the advisory's entry ("(CRITICAL)", "(v.low severity)"),
 *     else null;
 *   - affected / fixed: from the "Affected versions" section, cross-checked against `Fixed-In:`.
 *
 * Version prose becomes npm-semver ranges (matched with includePrerelease) this way:
 *   "prior to X" / "before X"              -> "<X"   (pre-releases of X come before X: affected)
 *   "up to and including X" / "X and below" -> "<=X" (pre-releases of the next patch: not stated, not affected)
 *   "Version 2", "All 2.x versions"         -> lower bound ">=2.0.0-0" (every 2.x, pre-releases included)
 *   "from vX onwards", "X up to ..."        -> lower bound ">=X"
 *   a second version on a higher minor line ("before v2.12.6 or v2.11.15") opens that line at
 *   ">=M.m.0-0", so "<2.11.15" and ">=2.12.0-0 <2.12.6" (the line's pre-releases are on the line).
 * Go-toolchain advisories ("any release built with Go before 1.25.7 or 1.24.13") get component
 * "go-toolchain"; their ranges and fixed versions are Go versions written as semver.
 *
 * Any text the rules below do not recognise — an unknown header, component heading, version
 * statement, Fixed-In component, or a disagreement between Fixed-In and the Affected section — stops
 * the build with exit code 1 and one line naming the file. No override table is needed for the
 * current texts; if one becomes necessary, key it by file name and quote the sentence it encodes.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, posix } from "node:path";
import { parseArgs } from "node:util";
import semver from "semver";

// ---------------------------------------------------------------------------------------------
// plumbing

class BuildError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

function fail(file: string, message: string): never {
  throw new BuildError(file, message);
}

const warnings: string[] = [];
function warn(file: string, message: string): void {
  warnings.push(`${file}: ${message}`);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** "v2.11.15." / "2.11.15," -> "2.11.15"; fails on anything that is not a semver version. */
function version(file: string, raw: string): string {
  const v = raw.trim().replace(/[.,;]+$/, "").replace(/^v/, "");
  if (semver.valid(v) !== v) fail(file, `"${raw}" is not a version`);
  return v;
}

const VERSION = String.raw`v?\d+\.\d+\.\d+`;
/** "v2.14.0, v2.12.7 and v2.11.16", "v2.12.6 or v2.11.15", "1.25.7 or 1.24.13" */
const VERSION_LIST = String.raw`${VERSION}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)${VERSION})*`;

function versionList(file: string, list: string): string[] {
  return [...list.matchAll(new RegExp(VERSION, "g"))].map((m) => version(file, m[0]));
}

// ---------------------------------------------------------------------------------------------
// version prose -> ranges

function lineFloor(v: string): string {
  return `>=${semver.major(v)}.${semver.minor(v)}.0-0`;
}

/**
 * One range per minor line: the lowest version's range gets `lower` (if any), each higher one starts
 * at its own line's floor. `op` is "<" for "before X", "<=" for "up to and including X".
 */
function lineRanges(file: string, bounds: readonly string[], lower: string | null, op: "<" | "<="): string[] {
  const sorted = [...new Set(bounds)].sort(semver.compare);
  const lines = new Set(sorted.map((v) => `${semver.major(v)}.${semver.minor(v)}`));
  if (lines.size !== sorted.length) fail(file, `two bounds on one minor line: ${sorted.join(", ")}`);
  return sorted.map((v, i) => {
    if (i > 0) return `${lineFloor(v)} ${op}${v}`;
    return lower === null ? `${op}${v}` : `${lower} ${op}${v}`;
  });
}

// ---------------------------------------------------------------------------------------------
// advisory text -> headers and sections

const HEADER_KEYS = new Set(["Subject", "NATS-advisory-ID", "CVE", "Aliases", "Date", "Fixed-In", "Severity", "CVSS"]);
const SECTIONS = [
  "Background",
  "Public Notice",
  "Problem Description",
  "Affected versions",
  "Impact",
  "Workaround",
  "Workarounds",
  "Solution",
  "Credit",
  "Credits",
  "References",
  "Caveat on NATS with untrusted users",
];
const SECTION_HEADING = new RegExp(`^(${SECTIONS.join("|")}):\\s*$`, "i");

interface Text {
  readonly headers: ReadonlyMap<string, string>;
  /** lower-cased section name -> its lines */
  readonly sections: ReadonlyMap<string, readonly string[]>;
}

function splitText(file: string, text: string): Text {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const headers = new Map<string, string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "") continue;
    if (SECTION_HEADING.test(line)) break;
    const m = /^([A-Za-z][A-Za-z-]*):\s+(\S.*?)\s*$/.exec(line);
    if (!m) fail(file, `unexpected line before the first section: ${JSON.stringify(line)}`);
    const [, key = "", value = ""] = m;
    if (!HEADER_KEYS.has(key)) fail(file, `unknown header "${key}:"`);
    if (headers.has(key)) fail(file, `header "${key}:" given twice`);
    headers.set(key, value);
  }
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const h = SECTION_HEADING.exec(line);
    if (h) {
      const name = (h[1] ?? "").toLowerCase();
      if (sections.has(name)) fail(file, `section "${h[1]}:" given twice`);
      current = [];
      sections.set(name, current);
    } else if (/^-{5,}/.test(line)) {
      current = null; // an attached file (CVE-2021-3127 carries a script) ends the sections
    } else if (current) {
      current.push(line);
    }
  }
  return { headers, sections };
}

// ---------------------------------------------------------------------------------------------
// the "Affected versions" section

/** Component headings in "Affected versions" that are not nats-server (their bullets are not read). */
const OTHER_COMPONENT_HEADINGS = /^(JWT library|nkeys Go library|NATS Streaming Server|Security impact|Logic flaw)$/;
const SERVER_HEADING = /^(NATS Server|nats-server)$/i;

interface Statement {
  text: string;
  /** a "+" sub-bullet */
  readonly sub: boolean;
  /** "nats-server", "other:<heading>", or "prose" (a paragraph under no heading) */
  readonly block: string;
}

function statements(file: string, lines: readonly string[]): Statement[] {
  const out: Statement[] = [];
  let block: string | null = null;
  let open: Statement | null = null;
  for (const line of lines) {
    if (line.trim() === "") {
      open = null; // a blank line ends a statement; a component heading lasts until the next one
      continue;
    }
    const heading = /^(\S[^:]*?):?\s*$/.exec(line);
    if (heading && !/^[\s*+]/.test(line) && (line.trimEnd().endsWith(":") || OTHER_COMPONENT_HEADINGS.test(heading[1] ?? ""))) {
      const name = heading[1] ?? "";
      if (SERVER_HEADING.test(name)) block = "nats-server";
      else if (OTHER_COMPONENT_HEADINGS.test(name)) block = `other:${name}`;
      else fail(file, `unknown component heading "${line.trim()}" under Affected versions`);
      open = null;
      continue;
    }
    const bullet = /^\s*([*+])\s+(.*?)\s*$/.exec(line);
    if (bullet) {
      let text = bullet[2] ?? "";
      // " * NATS Server: any release built with Go before ..." (component named inline)
      const inline = bullet[1] === "*" ? /^(NATS Server|nats-server):\s*(\S.*)$/i.exec(text) : null;
      if (inline) {
        block = "nats-server";
        text = inline[2] ?? "";
      } else if (block === null) {
        fail(file, `bullet outside any component under Affected versions: ${JSON.stringify(line.trim())}`);
      }
      open = { text, sub: bullet[1] === "+", block };
      out.push(open);
      continue;
    }
    const inline = /^\s+(NATS Server|nats-server):\s*(\S.*?)\s*$/i.exec(line);
    if (inline) {
      // " nats-server: any version before v2.12.6 or v2.11.15"
      block = "nats-server";
      open = { text: inline[2] ?? "", sub: false, block };
      out.push(open);
      continue;
    }
    if (/^\s/.test(line)) {
      if (!open) fail(file, `stray indented line under Affected versions: ${JSON.stringify(line.trim())}`);
      open.text += ` ${line.trim()}`;
      continue;
    }
    // prose at column 0, e.g. "Versions v2.12.6, v2.11.15 and below are vulnerable."
    if (open && open.block === "prose") {
      open.text += ` ${line.trim()}`;
    } else {
      block = null;
      open = { text: line.trim(), sub: false, block: "prose" };
      out.push(open);
    }
  }
  return out;
}

interface Affected {
  component: "nats-server" | "go-toolchain" | null;
  ranges: string[];
  /** fixed versions the section itself states (cross-checked against Fixed-In) */
  stated: string[];
  /** versions the section says are vulnerable, which the ranges must cover */
  mustMatch: string[];
  /** other components named under Affected versions */
  others: string[];
}

/** Sentences under a nats-server heading that carry no version facts. */
const SERVER_NOTES: readonly RegExp[] = [
  /^fixed with nats-io\/nats-server (PRs?|commit) [\w ,()-]+$/, // "fixed with nats-io/nats-server PRs 1632, 1635, 1645"
  /^Docker image:/,
  /^NATS Server 1\.x did not have accounts\.$/,
  /^Introduced with JetStream Restore functionality$/,
  /^NB users of OS package files from our releases: a change in goreleaser defaults/,
  /^It's a build environment issue, not a code issue within the/,
];

function readAffected(file: string, subject: string, lines: readonly string[]): Affected {
  const a: Affected = { component: null, ranges: [], stated: [], mustMatch: [], others: [] };
  const setComponent = (c: "nats-server" | "go-toolchain") => {
    if (a.component !== null && a.component !== c) fail(file, `both nats-server and Go toolchain statements under Affected versions`);
    a.component = c;
  };
  const re = (body: string) => new RegExp(`^${body}$`);
  for (const s of statements(file, lines)) {
    if (s.block.startsWith("other:")) {
      const name = s.block.slice("other:".length);
      if (!a.others.includes(name)) a.others.push(name);
      continue;
    }
    const t = s.text;
    let m: RegExpExecArray | null;
    if (s.block === "prose") {
      // The newer secnotes name no component here; their Subject does ("nats-server: ...").
      if ((m = re(`Versions (${VERSION_LIST}) and below are vulnerable\\. The issue is fixed in (${VERSION_LIST})\\.`).exec(t))) {
        if (!subject.startsWith("nats-server")) fail(file, `version statement with no component and a Subject not naming nats-server`);
        setComponent("nats-server");
        a.ranges.push(...lineRanges(file, versionList(file, m[1] ?? ""), null, "<="));
        a.stated.push(...versionList(file, m[2] ?? ""));
        continue;
      }
      if (new RegExp(VERSION).test(t)) fail(file, `cannot classify the statement ${JSON.stringify(t)}`);
      continue; // commentary without versions ("Note that the fix was committed to public git ...")
    }
    // s.block === "nats-server"
    if (s.sub) {
      // "+ 2.0.0 through and including 2.1.8 are vulnerable." — a restatement, used as a check
      if ((m = re(`(${VERSION}) through and including (${VERSION}) are vulnerable\\.?`).exec(t))) {
        a.mustMatch.push(version(file, m[1] ?? ""), version(file, m[2] ?? ""));
        continue;
      }
    } else if ((m = re(`any release built with Go before (${VERSION_LIST})`).exec(t))) {
      setComponent("go-toolchain");
      const go = versionList(file, m[1] ?? "");
      a.ranges.push(...lineRanges(file, go, null, "<"));
      a.stated.push(...go);
      continue;
    } else if ((m = re(`Version 2(?: from (${VERSION}) onwards)?,? prior to (${VERSION_LIST})`).exec(t))) {
      // "Version 2 prior to 2.1.9", "Version 2, prior to v2.11.14 or v2.12.5",
      // "Version 2 from v2.2.0 onwards, prior to v2.11.12 or v2.12.3"
      setComponent("nats-server");
      const from = m[1] === undefined ? ">=2.0.0-0" : `>=${version(file, m[1])}`;
      const fixed = versionList(file, m[2] ?? "");
      a.ranges.push(...lineRanges(file, fixed, from, "<"));
      a.stated.push(...fixed);
      continue;
    } else if ((m = re(`(?:All versions prior to|any version before) (${VERSION_LIST})`).exec(t))) {
      // "All versions prior to 2.2.3", "any version before v2.12.6 or v2.11.15"
      setComponent("nats-server");
      const fixed = versionList(file, m[1] ?? "");
      a.ranges.push(...lineRanges(file, fixed, null, "<"));
      a.stated.push(...fixed);
      continue;
    } else if ((m = re(`All 2\\.x versions up to and including (${VERSION})\\.?`).exec(t))) {
      setComponent("nats-server");
      a.ranges.push(...lineRanges(file, [version(file, m[1] ?? "")], ">=2.0.0-0", "<="));
      continue;
    } else if ((m = re(`(${VERSION}) up to and including (${VERSION})(?: and (${VERSION}))?\\.?`).exec(t))) {
      // "2.2.0 up to and including 2.7.3.", "2.2.0 up to and including 2.9.22 and 2.10.1"
      setComponent("nats-server");
      const tops = [m[2], m[3]].filter((x): x is string => x !== undefined).map((x) => version(file, x));
      a.ranges.push(...lineRanges(file, tops, `>=${version(file, m[1] ?? "")}`, "<="));
      continue;
    } else if ((m = re(`Fixed with nats-io/nats-server: (${VERSION})(?: and backported to (${VERSION}))?\\.?`).exec(t))) {
      a.stated.push(...[m[1], m[2]].filter((x): x is string => x !== undefined).map((x) => version(file, x)));
      continue;
    }
    if (SERVER_NOTES.some((r) => r.test(t))) continue;
    fail(file, `cannot classify the nats-server statement ${JSON.stringify(t)}`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Fixed-In

const OTHER_FIXED_IN = new Set(["jwt", "nkeys", "nats-streaming-server", "nats.js", "nats.ws", "nats.deno"]);

/** "jwt 1.1.0; nats-server 2.1.9", "v2.14.0, v2.12.7, v2.11.16", "TBD" */
function readFixedIn(file: string, value: string): { server: string[]; others: string[] } {
  const out = { server: [] as string[], others: [] as string[] };
  if (/^TBD$/i.test(value)) return out;
  for (const part of value.split(";")) {
    const m = /^\s*(?:([A-Za-z][\w.-]*)\s+)?(v?\d.*?)\s*$/.exec(part);
    if (!m) fail(file, `cannot read Fixed-In part ${JSON.stringify(part)}`);
    const name = m[1] ?? "nats-server"; // the newer secnotes list bare nats-server versions
    const versions = (m[2] ?? "").replace(/\.$/, "").split(/\s*,\s*/).map((v) => version(file, v));
    if (name === "nats-server") out.server.push(...versions);
    else if (OTHER_FIXED_IN.has(name)) out.others.push(name);
    else fail(file, `unknown component "${name}" in Fixed-In`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// index.md severity annotations

/** advisory file -> severity as the index states it, e.g. "(CRITICAL)" -> "CRITICAL", "(v.low severity)" -> "v.low" */
function indexSeverities(index: string): Map<string, string> {
  const out = new Map<string, string>();
  let file: string | null = null;
  for (const line of index.split("\n")) {
    const entry = /^\* \[[^\]]*\]\((CVE\/[^)\s]+)\)/.exec(line);
    if (entry) file = entry[1] ?? null;
    else if (!/^\s+\+/.test(line)) file = null;
    if (file === null) continue;
    const m = /\((CRITICAL|HIGH|MODERATE|MEDIUM|LOW)\)\s*$/i.exec(line) ?? /\(([^()]+?)\s+severity\)\s*$/i.exec(line);
    if (m) out.set(file, m[1] ?? "");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the advisories

interface Advisory {
  id: string;
  aliases: string[];
  published: string;
  summary: string;
  component: "nats-server" | "go-toolchain";
  affected: string[];
  fixed: string[];
  severity: string | null;
  source: string;
}

interface Excluded {
  source: string;
  ids: string[];
  reason: string;
}

const ID = /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|GO-\d{4}-\d{4,})\b/g;

function buildAdvisories(dir: string): { commit: string; asOf: string; advisories: Advisory[]; excluded: Excluded[] } {
  const commit = git(dir, "rev-parse", "HEAD").trim();
  const asOf = git(dir, "log", "-1", "--format=%cs", "HEAD").trim();
  const tree = git(dir, "ls-tree", "-r", "HEAD", "--", "CVE/")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/.exec(l);
      if (!m) fail("CVE/", `unexpected ls-tree line ${JSON.stringify(l)}`);
      return { mode: m[1] ?? "", object: m[3] ?? "", path: m[4] ?? "" };
    });
  const regular = new Set(tree.filter((e) => e.mode === "100644" || e.mode === "100755").map((e) => e.path));
  let index = "";
  try {
    index = git(dir, "show", "HEAD:index.md");
  } catch {
    warn("index.md", "missing: severities come from the advisory texts only");
  }
  const severities = indexSeverities(index);
  const indexed = new Set([...index.matchAll(/\]\((CVE\/[^)\s]+)\)/g)].map((m) => m[1] ?? ""));

  const advisories: Advisory[] = [];
  const excluded: Excluded[] = [];
  const idsByFile = new Map<string, string[]>();
  const links: { path: string; target: string }[] = [];

  for (const entry of tree) {
    const file = entry.path;
    if (!file.endsWith(".txt")) fail(file, "not a .txt advisory");
    if (entry.mode === "120000") {
      const target = posix.normalize(posix.join(posix.dirname(file), git(dir, "cat-file", "blob", entry.object).trim()));
      if (!regular.has(target)) fail(file, `symlink to ${target}, which is not an advisory file`);
      links.push({ path: file, target });
      continue;
    }
    if (!regular.has(file)) fail(file, `unexpected tree entry (mode ${entry.mode})`);

    const text = splitText(file, git(dir, "show", `HEAD:${file}`));
    const header = (key: string): string => {
      const v = text.headers.get(key);
      if (v === undefined) fail(file, `no "${key}:" header`);
      return v;
    };
    const summary = header("Subject");
    const natsId = header("NATS-advisory-ID");
    const published = header("Date");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(published) || Number.isNaN(Date.parse(published))) fail(file, `Date "${published}" is not YYYY-MM-DD`);

    const headerIds = [text.headers.get("CVE") ?? "", text.headers.get("Aliases") ?? ""]
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter((v) => v !== "");
    for (const v of headerIds) if (!new RegExp(`^${ID.source}$`).test(v)) fail(file, `unknown id form "${v}" in the headers`);
    const refIds = (text.sections.get("references") ?? []).flatMap((l) => [...l.matchAll(ID)].map((m) => m[1] ?? ""));
    const ids = [...new Set([...headerIds, ...refIds])];
    const natsAlias = `NATS-${natsId}`;
    const id = ids.find((x) => x.startsWith("CVE-")) ?? ids.find((x) => x.startsWith("GHSA-")) ?? natsAlias;
    const aliases = [...ids.filter((x) => x !== id), ...(id === natsAlias ? [] : [natsAlias])];
    idsByFile.set(file, [id, ...aliases]);

    const named = /^CVE\/(CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3})\.txt$/.exec(file);
    if (named && named[1] !== id) fail(file, `the file is named for ${named[1]} but the text's id is ${id}`);
    const secnote = /^CVE\/secnote-(\d{4}-\d+)\.txt$/.exec(file);
    if (secnote && secnote[1] !== natsId) warn(file, `"NATS-advisory-ID: ${natsId}" differs from the file name (kept as written)`);
    if (index !== "" && !indexed.has(file)) warn(file, "not listed in index.md");

    const section = text.sections.get("affected versions");
    if (!section) fail(file, `no "Affected versions:" section`);
    const affected = readAffected(file, summary, section);
    const fixedIn = readFixedIn(file, header("Fixed-In"));

    if (affected.component === null) {
      if (fixedIn.server.length > 0) fail(file, `Fixed-In names nats-server ${fixedIn.server.join(", ")} but no nats-server versions are stated as affected`);
      const others = [...new Set([...fixedIn.others, ...affected.others])];
      if (others.length === 0) fail(file, "names no component at all");
      excluded.push({ source: file, ids: [id, ...aliases], reason: `not a nats-server advisory: Fixed-In names only ${fixedIn.others.join(", ")}` });
      continue;
    }

    let fixed: string[];
    if (affected.component === "go-toolchain") {
      if (fixedIn.server.length > 0) fail(file, "a Go toolchain advisory whose Fixed-In names nats-server versions");
      fixed = [...new Set(affected.stated)];
    } else {
      fixed = [...new Set(fixedIn.server)];
      const stated = [...new Set(affected.stated)].sort(semver.compare).join(", ");
      if (stated !== [...fixed].sort(semver.compare).join(", ")) fail(file, `Fixed-In says ${fixed.join(", ") || "nothing"} but Affected versions says ${stated || "nothing"}`);
    }
    if (affected.ranges.length === 0) fail(file, "no affected ranges");
    const hit = (v: string) => affected.ranges.some((r) => semver.satisfies(v, r, { includePrerelease: true }));
    for (const r of affected.ranges) if (semver.validRange(r) === null) fail(file, `built an invalid range "${r}"`);
    for (const v of fixed) if (hit(v)) fail(file, `fixed version ${v} lies inside the affected ranges ${affected.ranges.join(" || ")}`);
    for (const v of affected.mustMatch) if (!hit(v)) fail(file, `version ${v}, stated as vulnerable, lies outside ${affected.ranges.join(" || ")}`);

    const severity = text.headers.get("Severity") ?? text.headers.get("CVSS") ?? severities.get(file) ?? null;
    advisories.push({ id, aliases, published, summary, component: affected.component, affected: affected.ranges, fixed, severity, source: file });
  }

  // Symlinks are other names for an advisory: check them, do not count them.
  for (const { path, target } of links) {
    const named = /^CVE\/(CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3})\.txt$/.exec(path);
    if (!named) fail(path, "a symlink not named for a CVE or GHSA id");
    if (!(idsByFile.get(target) ?? []).includes(named[1] ?? "")) fail(path, `points at ${target}, which does not carry the id ${named[1]}`);
  }

  const seen = new Map<string, string>();
  for (const a of advisories) {
    const other = seen.get(a.id);
    if (other !== undefined) fail(a.source, `id ${a.id} also used by ${other}`);
    seen.set(a.id, a.source);
  }
  const bySource = (x: { source: string }, y: { source: string }) => (x.source < y.source ? -1 : x.source > y.source ? 1 : 0);
  advisories.sort((x, y) => (x.published < y.published ? -1 : x.published > y.published ? 1 : bySource(x, y)));
  excluded.sort(bySource);
  return { commit, asOf, advisories, excluded };
}

// ---------------------------------------------------------------------------------------------
// the releases

interface Release {
  version: string;
  date: string;
  prerelease: boolean;
}

function buildReleases(dir: string): { asOf: string; releases: Release[] } {
  const tags = git(dir, "tag", "--list")
    .split("\n")
    .filter((t) => /^v2\.\d+\.\d+(-[A-Za-z0-9.]+)?$/.test(t));
  const releases = tags.map((tag): Release => {
    const v = version(`tag ${tag}`, tag);
    const date = git(dir, "log", "-1", "--format=%cs", `refs/tags/${tag}`).trim();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`tag ${tag}`, `no commit date (${JSON.stringify(date)})`);
    return { version: v, date, prerelease: semver.prerelease(v) !== null };
  });
  if (releases.length === 0) fail(dir, "no v2 release tags");
  releases.sort((a, b) => semver.compare(a.version, b.version));
  const asOf = releases.map((r) => r.date).reduce((a, b) => (a > b ? a : b));
  return { asOf, releases };
}

// ---------------------------------------------------------------------------------------------

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      advisories: { type: "string" },
      "nats-server": { type: "string" },
      out: { type: "string" },
      "releases-out": { type: "string" },
    },
    strict: true,
  });
  const need = (k: keyof typeof values): string => {
    const v = values[k];
    if (typeof v !== "string" || v === "") fail("usage", `--${k} <path> is required`);
    return v;
  };
  const advisoriesDir = need("advisories");
  const serverDir = need("nats-server");
  const out = need("out");
  const releasesOut = need("releases-out");

  const built = buildAdvisories(advisoriesDir);
  const rel = buildReleases(serverDir);

  const released = new Set(rel.releases.filter((r) => !r.prerelease).map((r) => r.version));
  for (const a of built.advisories) {
    if (a.component !== "nats-server") continue;
    for (const v of a.fixed) if (!released.has(v)) warn(a.source, `fixed version ${v} is not a release tag in the nats-server checkout`);
  }

  writeJson(out, { source: "nats-io/advisories", as_of: built.asOf, commit: built.commit, advisories: built.advisories, excluded: built.excluded });
  writeJson(releasesOut, { source: "nats-io/nats-server", as_of: rel.asOf, releases: rel.releases });

  for (const w of warnings) process.stderr.write(`build-advisories: warning: ${w}\n`);
  const go = built.advisories.filter((a) => a.component === "go-toolchain").length;
  process.stderr.write(
    `build-advisories: ${built.advisories.length} advisories (${go} Go toolchain), ${built.excluded.length} excluded, ` +
      `${rel.releases.length} releases (latest tag ${rel.asOf})\n`,
  );
}

try {
  main();
} catch (e) {
  if (e instanceof BuildError) {
    process.stderr.write(`build-advisories: ${e.file}: ${e.message}\n`);
  } else {
    process.stderr.write(`build-advisories: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}\n`);
  }
  process.exit(1);
}
