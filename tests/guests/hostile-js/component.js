// A JavaScript component that tries to leave its sandbox, one way per `mode`; it replaces
// src/component.js in a project `wharf new component --lang js` wrote (tests/all/templates.rs).
// It reports what it managed: success ("escaped: ...") only if an attempt worked.

import { readFile } from "./files.js";

const MODES = ["read-outside", "connect"];

function result(code, message) {
  return { code, message, outputs: [], counts: { recordsIn: 0n, recordsOut: 0n, recordsFailed: 0n } };
}

function readOutside() {
  const errors = [];
  for (const path of ["/etc/passwd", "../../etc/passwd", "/../etc/passwd"]) {
    try {
      readFile(path);
      return `escaped: ${path}`;
    } catch (e) {
      errors.push(`${path}: ${e.code ?? e}`);
    }
  }
  throw new Error(errors.join("; "));
}

function connect(port) {
  // fetch is the engine's only way out; the build leaves WASI HTTP out, as the template's does.
  if (typeof fetch !== "function") throw new Error("fetch is not defined");
  fetch(`http://127.0.0.1:${port}/`);
  return `escaped: fetch to 127.0.0.1:${port} started`;
}

export const task = {
  describe() {
    const spec = (name, kind, allowedValues = [], required = true) => ({
      name, doc: name, kind, required, allowedValues, nonEmpty: false,
    });
    return {
      name: "hostile-js",
      doc: "Tries to read outside its working directory or to open a network connection.",
      settings: [spec("mode", "choice", MODES), spec("port", "integer", [], false)],
      currentVariables: [],
      capabilities: [],
      truthKinds: [],
    };
  },
  run(settings) {
    const given = Object.fromEntries(settings);
    try {
      if (given.mode === "read-outside") return result("success", readOutside());
      return result("success", connect(given.port ?? "9"));
    } catch (e) {
      return result("fail", `refused: ${e}`);
    }
  },
};
