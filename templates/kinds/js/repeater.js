// The Wharf component: a repeater (world `repeater-task`, see wit/world.wit) around
// carrier-mapping.js. The host runs the workflow's child tasks once per consignment of the
// document, with the consignment's fields as `{{ current.OrderRef }}`, `{{ current.Postcode }}` ...

import { log } from "wharf:task/log@0.1.0";
import { COLUMNS, MappingError, consignments } from "./carrier-mapping.js";
import { FileError, readFile } from "./files.js";

const NAME = "carrier-csv";

// The current variables each item carries, and the CSV column each comes from.
const CURRENT = {
  OrderRef: "order_ref",
  Recipient: "recipient",
  Postcode: "postcode",
  Country: "country",
  GoodsValue: "goods_value",
};

/** Ends the call with the `failure` WIT variant: the export's result is `err`. */
function failure(code, message) {
  return Object.assign(new Error(message), { payload: { code, message } });
}

function items(settings) {
  const input = Object.fromEntries(settings)["input-file"];
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
  for (const line of found.skipped) log("warning", `left out ${line}`);
  return found.rows.map((row) =>
    Object.entries(CURRENT).map(([name, column]) => [name, row[COLUMNS.indexOf(column)]]),
  );
}

export const repeater = {
  describe() {
    return {
      name: NAME,
      doc: "Runs its tasks once per consignment of a Zynk XML sales orders document.",
      settings: [
        {
          name: "input-file",
          doc: "The Zynk XML document with the sales orders.",
          kind: "file",
          required: true,
          allowedValues: [],
          nonEmpty: true,
        },
      ],
      currentVariables: Object.keys(CURRENT),
      capabilities: [],
      truthKinds: [],
    };
  },
  items,
};
