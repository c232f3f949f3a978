import { readFileSync } from "node:fs";

/** This package's name and version, read from package.json (same path from src/ and dist/). */
export const packageInfo: { readonly name: string; readonly version: string; readonly description: string } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
);
