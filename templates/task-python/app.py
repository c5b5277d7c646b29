"""The Wharf component: a plain task (world `plain-task` in wit/) around carrier_mapping."""

from carrier_mapping import SERVICES, MappingError, consignments, to_csv
from wit_world import exports
from wit_world.imports import log, types

NAME = "carrier-csv"


def spec(name, doc, kind, required=False, default=None, allowed=(), non_empty=False):
    return types.SettingSpec(
        name=name,
        doc=doc,
        kind=kind,
        required=required,
        default_value=default,
        allowed_values=list(allowed),
        minimum=None,
        maximum=None,
        non_empty=non_empty,
    )


def result(code, message, counts=(0, 0, 0), outputs=()):
    return types.TaskResult(
        code=code,
        message=message,
        outputs=list(outputs),
        counts=types.Counts(*counts),
    )


class Task(exports.Task):
    def describe(self):
        kind = types.SettingKind
        return types.TaskInfo(
            name=NAME,
            doc="Writes a carrier's consignment CSV from the sales orders of a Zynk XML document.",
            settings=[
                spec("input-file", "The Zynk XML document with the sales orders.", kind.FILE,
                     required=True, non_empty=True),
                spec("output-file", "The CSV to write.", kind.FILE, default="carrier.csv",
                     non_empty=True),
                spec("service", "The carrier service every consignment is booked on.",
                     kind.CHOICE, default="standard", allowed=SERVICES),
            ],
            current_variables=[],
            capabilities=[],
            truth_kinds=[],
        )

    def run(self, settings):
        # The host has checked every value against describe() and filled in the defaults.
        given = dict(settings)
        input_file, output_file = given["input-file"], given["output-file"]
        code = types.ResultCode
        try:
            with open(input_file, "rb") as f:
                document = f.read()
        except FileNotFoundError:
            return result(code.NOT_FOUND, f"input-file {input_file}: no such file")
        except OSError as e:
            return result(code.FAIL, f"input-file {input_file}: {e.strerror}")
        try:
            found = consignments(document, given["service"])
        except MappingError as e:
            return result(code.FAIL, f"input-file {input_file}: {e}")
        for line in found.skipped:
            log.log(log.Level.WARNING, f"left out {line}")
        counts = (found.orders, len(found.rows), len(found.skipped))
        if not found.rows:
            return result(code.SUCCESS_NO_DATA,
                          f"no consignments in {input_file} ({found.orders} orders)", counts)
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as f:
                f.write(to_csv(found.rows))
        except OSError as e:
            return result(code.FAIL, f"output-file {output_file}: {e.strerror}", counts)
        return result(
            code.SUCCESS_DATA,
            f"{len(found.rows)} consignments written to {output_file}",
            counts,
            [("output-file", output_file), ("consignments", str(len(found.rows)))],
        )
