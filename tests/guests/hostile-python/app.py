"""A Python component that tries to leave its sandbox, one way per `mode`; it replaces app.py in
a project `wharf new component --lang python` wrote (tests/all/templates.rs). It reports what it
managed: success ("escaped: ...") only if an attempt worked."""

import socket

from wit_world import exports
from wit_world.imports import types

MODES = ["read-outside", "connect"]


def spec(name, kind, allowed=(), required=True):
    return types.SettingSpec(
        name=name, doc=name, kind=kind, required=required, default_value=None,
        allowed_values=list(allowed), minimum=None, maximum=None, non_empty=False,
    )


def result(code, message):
    return types.TaskResult(code=code, message=message, outputs=[], counts=types.Counts(0, 0, 0))


def read_outside():
    errors = []
    for path in ["/etc/passwd", "../../etc/passwd", "/../etc/passwd"]:
        try:
            with open(path, "rb") as f:
                f.read()
            return f"escaped: {path}"
        except OSError as e:
            errors.append(f"{path}: {e!r}")
    raise OSError("; ".join(errors))


def connect(port):
    # By address: a name lookup would fail first and prove nothing about connecting.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(b"escaped")
    return f"escaped: connected to 127.0.0.1:{port}"


class Task(exports.Task):
    def describe(self):
        kind = types.SettingKind
        return types.TaskInfo(
            name="hostile-python",
            doc="Tries to read outside its working directory or to open a network connection.",
            settings=[spec("mode", kind.CHOICE, MODES), spec("port", kind.INTEGER, required=False)],
            current_variables=[],
            capabilities=[],
            truth_kinds=[],
        )

    def run(self, settings):
        given = dict(settings)
        try:
            if given["mode"] == "read-outside":
                return result(types.ResultCode.SUCCESS, read_outside())
            return result(types.ResultCode.SUCCESS, connect(int(given.get("port", "9"))))
        except Exception as e:
            return result(types.ResultCode.FAIL, f"refused: {e!r}")
