"""The Wharf component: a condition (world `condition-task` in wit/) around carrier_mapping.

True when the document holds at least `minimum-consignments` consignments: the host then runs
the task's children, else its `else:` branch.
"""

from carrier_mapping import MappingError, consignments
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types

NAME = "carrier-csv"


def failure(code, message):
    return Err(types.Failure(code=code, message=message))


def spec(name, doc, kind, required=False, default=None, minimum=None, non_empty=False):
    return types.SettingSpec(
        name=name,
        doc=doc,
        kind=kind,
        required=required,
        default_value=default,
        allowed_values=[],
        minimum=minimum,
        maximum=None,
        non_empty=non_empty,
    )


class Condition(exports.Condition):
    def describe(self):
        kind = types.SettingKind
        return types.TaskInfo(
            name=NAME,
            doc="True when a Zynk XML document holds at least `minimum-consignments` consignments.",
            settings=[
                spec("input-file", "The Zynk XML document with the sales orders.", kind.FILE,
                     required=True, non_empty=True),
                spec("minimum-consignments", "How many consignments make it true.", kind.INTEGER,
                     default="1", minimum=0),
            ],
            current_variables=[],
            capabilities=[],
            truth_kinds=[],
        )

    def evaluate(self, settings):
        # The host has checked the integer against describe() (and its minimum).
        given = dict(settings)
        input_file = given["input-file"]
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
        return len(found.rows) >= int(given["minimum-consignments"])
