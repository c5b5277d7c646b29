"""The Wharf component: a repeater (world `repeater-task` in wit/) around carrier_mapping.

The host runs the workflow's child tasks once per consignment of the document, with the
consignment's fields as `{{ current.OrderRef }}`, `{{ current.Postcode }}` ...
"""

from carrier_mapping import COLUMNS, MappingError, consignments
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log, types

NAME = "carrier-csv"

# The current variables each item carries, and the CSV column each comes from.
CURRENT = {
    "OrderRef": "order_ref",
    "Recipient": "recipient",
    "Postcode": "postcode",
    "Country": "country",
    "GoodsValue": "goods_value",
}


def failure(code, message):
    return Err(types.Failure(code=code, message=message))


class Repeater(exports.Repeater):
    def describe(self):
        return types.TaskInfo(
            name=NAME,
            doc="Runs its tasks once per consignment of a Zynk XML sales orders document.",
            settings=[
                types.SettingSpec(
                    name="input-file",
                    doc="The Zynk XML document with the sales orders.",
                    kind=types.SettingKind.FILE,
                    required=True,
                    default_value=None,
                    allowed_values=[],
                    minimum=None,
                    maximum=None,
                    non_empty=True,
                ),
            ],
            current_variables=list(CURRENT),
            capabilities=[],
            truth_kinds=[],
        )

    def items(self, settings):
        input_file = dict(settings)["input-file"]
        code = types.ResultCode
        try:
            with open(input_file, "rb") as f:
                found = consignments(f.read(), service="")
        except FileNotFoundError:
            raise failure(code.NOT_FOUND, f"input-file {input_file}: no such file")
        except OSError as e:
            raise failure(code.FAIL, f"input-file {input_file}: {e.strerror}")
        except MappingError as e:
            raise failure(code.FAIL, f"input-file {input_file}: {e}")
        for line in found.skipped:
            log.log(log.Level.WARNING, f"left out {line}")
        items = []
        for row in found.rows:
            fields = dict(zip(COLUMNS, row))
            items.append([(name, fields[column]) for name, column in CURRENT.items()])
        return items
