// The Wharf component: a condition (world `condition-task`, see wit/world.wit) around
// carrier-mapping.js. True when the document holds at least `minimum-consignments`
// consignments: the host then runs the task's children, else its `else:` branch.

import { MappingError, consignments } from "./carrier-mapping.js";
import { FileError, readFile } from "./files.js";

const NAME = "carrier-csv";

/** Ends the call with the `failure` WIT variant: the export's result is `err`. */
function failure(code, message) {
  return Object.assign(new Error(message), { payload: { code, message } });
}

function evaluate(settings) {
  // The host has checked the integer against describe() (and its minimum).
  const given = Object.fromEntries(settings);
  const input = given["input-file"];
  let found;
  try {
    found = consignments(new TextDecoder().decode(readFile(input)), "");
  } catch (e) {
    if (e instanceof FileError) {
      throw failure(e.code === "no-entry" ? "not-found" : "fail", `input-file ${input}: ${e.message}`);
    }
    if (e instanceof MappingError) throw failure("fail", `input-file ${input}: ${e.message}`);
    throw e;
  }
  return found.rows.length >= Number(given["minimum-consignments"]);
}

export const condition = {
  describe() {
    return {
      name: NAME,
      doc: "True when a Zynk XML document holds at least `minimum-consignments` consignments.",
      settings: [
        {
          name: "input-file",
          doc: "The Zynk XML document with the sales orders.",
          kind: "file",
          required: true,
          allowedValues: [],
          nonEmpty: true,
        },
        {
          name: "minimum-consignments",
          doc: "How many consignments make it true.",
          kind: "integer",
          required: false,
          defaultValue: "1",
          allowedValues: [],
          minimum: 0n,
          nonEmpty: false,
        },
      ],
      currentVariables: [],
      capabilities: [],
      truthKinds: [],
    };
  },
  evaluate,
};
