// The Wharf component: a plain task (world `plain-task`, see wit/world.wit) around
// carrier-mapping.js.

import { log } from "wharf:task/log@0.1.0";
import { MappingError, SERVICES, consignments, toCsv } from "./carrier-mapping.js";
import { FileError, readFile, writeFile } from "./files.js";

const NAME = "carrier-csv";

function spec(name, doc, kind, { required = false, defaultValue, allowed = [], nonEmpty = false } = {}) {
  return { name, doc, kind, required, defaultValue, allowedValues: allowed, nonEmpty };
}

function result(code, message, [recordsIn, recordsOut, recordsFailed] = [0, 0, 0], outputs = []) {
  return {
    code,
    message,
    outputs,
    counts: {
      recordsIn: BigInt(recordsIn),
      recordsOut: BigInt(recordsOut),
      recordsFailed: BigInt(recordsFailed),
    },
  };
}

function run(settings) {
  // The host has checked every value against describe() and filled in the defaults.
  const given = Object.fromEntries(settings);
  const input = given["input-file"];
  const output = given["output-file"];
  let document;
  try {
    document = new TextDecoder().decode(readFile(input));
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    return result(e.code === "no-entry" ? "not-found" : "fail", `input-file ${input}: ${e.message}`);
  }
  let found;
  try {
    found = consignments(document, given.service);
  } catch (e) {
    if (!(e instanceof MappingError)) throw e;
    return result("fail", `input-file ${input}: ${e.message}`);
  }
  for (const line of found.skipped) log("warning", `left out ${line}`);
  const counts = [found.orders, found.rows.length, found.skipped.length];
  if (found.rows.length === 0) {
    return result("success-no-data", `no consignments in ${input} (${found.orders} orders)`, counts);
  }
  try {
    writeFile(output, toCsv(found.rows));
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    return result("fail", `output-file ${output}: ${e.message}`, counts);
  }
  return result("success-data", `${found.rows.length} consignments written to ${output}`, counts, [
    ["output-file", output],
    ["consignments", String(found.rows.length)],
  ]);
}

export const task = {
  describe() {
    return {
      name: NAME,
      doc: "Writes a carrier's consignment CSV from the sales orders of a Zynk XML document.",
      settings: [
        spec("input-file", "The Zynk XML document with the sales orders.", "file", {
          required: true,
          nonEmpty: true,
        }),
        spec("output-file", "The CSV to write.", "file", { defaultValue: "carrier.csv", nonEmpty: true }),
        spec("service", "The carrier service every consignment is booked on.", "choice", {
          defaultValue: "standard",
          allowed: SERVICES,
        }),
      ],
      currentVariables: [],
      capabilities: [],
      truthKinds: [],
    };
  },
  run,
};
