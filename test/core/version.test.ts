import test from "ava";
import { compareVersions, isPrerelease, parseVersion } from "../../src/core/version.js";

const parses = test.macro((t, raw: string, text: string | undefined) => {
  t.is(parseVersion(raw)?.text, text);
});

test("plain", parses, "2.10.3", "2.10.3");
test("leading v", parses, "v2.10.3", "2.10.3");
test("leading V and spaces", parses, " V2.9.10 ", "2.9.10");
test("pre-release", parses, "2.11.0-RC.1", "2.11.0-RC.1");
test("pre-release with v", parses, "v2.11.0-beta.2", "2.11.0-beta.2");
test("build metadata kept", parses, "2.10.3+abc123", "2.10.3+abc123");
test("pre-release and build", parses, "2.12.0-dev+20240101", "2.12.0-dev+20240101");
test("empty", parses, "", undefined);
test("words", parses, "latest", undefined);
test("two parts", parses, "2.10", undefined);
test("absurd length", parses, "2.10." + "1".repeat(100), undefined);
test("leading zero", parses, "2.010.1", undefined);
test("injection", parses, "2.10.1; rm -rf /", undefined);

test("ordering: release after its pre-releases, build metadata breaks ties", (t) => {
  const sorted = ["2.11.0", "2.10.27", "2.11.0-RC.1", "2.9.10", "2.11.0-RC.2", "2.10.27+b", "2.10.27+a"]
    .map((v) => parseVersion(v)!)
    .sort(compareVersions)
    .map((v) => v.text);
  t.deepEqual(sorted, ["2.9.10", "2.10.27", "2.10.27+a", "2.10.27+b", "2.11.0-RC.1", "2.11.0-RC.2", "2.11.0"]);
});

test("pre-release detection", (t) => {
  t.true(isPrerelease(parseVersion("2.11.0-RC.1")!));
  t.false(isPrerelease(parseVersion("2.11.0+build")!));
});
