// Builds the files the gateway serves (services/gateway/parley_gateway/bundles/) from src/:
// each entry bundled by esbuild into one classic script (an IIFE: embedding sites need no module
// support), the CSS and the console page copied. The bundles are committed, so `make up` and the
// Python images need no node; `node build.mjs --check` (run by `make check`) fails when they
// differ from what src/ builds, so a committed bundle is never stale.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(HERE, "..", "services", "gateway", "parley_gateway", "bundles");
const BANNER = "/* Built by frontend/build.mjs from frontend/src: edit those, then run `make frontend`. */";

const BUNDLES = {
  "widget.js": "src/widget/main.js",
  "parley-client.js": "src/client/main.js",
  "console/console.js": "src/console/main.js",
  // Sites serve it from their own origin (docs/client.md, "Web push"): copied or proxied from here.
  "push-worker.js": "src/push/push-worker.js",
};
const COPIES = {
  "widget.css": "src/widget/widget.css",
  "console/index.html": "src/console/index.html",
  "console/console.css": "src/console/console.css",
};

/** @returns {Promise<Map<string, string>>} served path -> content */
async function outputs() {
  const files = new Map();
  for (const [target, entry] of Object.entries(BUNDLES)) {
    const result = await build({
      entryPoints: [join(HERE, entry)],
      bundle: true,
      format: "iife",
      target: "es2018",
      charset: "utf8",
      legalComments: "none",
      banner: { js: BANNER },
      write: false,
    });
    files.set(target, result.outputFiles[0].text);
  }
  for (const [target, source] of Object.entries(COPIES)) files.set(target, readFileSync(join(HERE, source), "utf8"));
  return files;
}

const files = await outputs();
if (process.argv.includes("--check")) {
  const stale = [...files].filter(([target, text]) => {
    const path = join(OUT, target);
    return !existsSync(path) || readFileSync(path, "utf8") !== text;
  });
  if (stale.length) {
    console.error(
      `stale bundles (run \`make frontend\`): ${stale.map(([t]) => relative(process.cwd(), join(OUT, t))).join(", ")}`,
    );
    process.exit(1);
  }
} else {
  for (const [target, text] of files) {
    mkdirSync(dirname(join(OUT, target)), { recursive: true });
    writeFileSync(join(OUT, target), text);
  }
}
