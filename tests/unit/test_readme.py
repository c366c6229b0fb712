"""README stays true to the code: every address, preset and parameter is documented there."""

from bridge.serve import osc
from bridge.config import PARAMS
from support import ROOT

README = (ROOT / "README.md").read_text()


def test_every_request_address_is_documented():
    missing = [a for a in osc.ADDRESSES if f"`{a}`" not in README]
    assert not missing


def test_every_parameter_is_documented():
    missing = [p for p in PARAMS if f"`{p}`" not in README]
    assert not missing


def test_every_shipped_preset_is_named():
    missing = [p.stem for p in (ROOT / "presets").glob("*.yaml") if f"`{p.stem}`" not in README]
    assert not missing


def test_the_two_commands():
    assert "sh .ci/setup && .venv/bin/bridge serve" in README
    test_cmd = "sh .ci/setup && .venv/bin/python -m pytest"
    assert test_cmd in README
    assert test_cmd in (ROOT / ".ci" / "run").read_text()  # CI runs the README's test command


def test_the_error_codes_are_the_readmes_list():
    """/bridge/error's codes: errors.ERROR_CODES, every BridgeError's code, and the README agree."""
    import re

    import bridge.serve.devices  # noqa: F401  (their errors join the tree on import)
    import bridge.serve.midi  # noqa: F401
    import bridge.serve.worker  # noqa: F401
    from bridge.errors import ERROR_CODES, BindError, BridgeError

    listed = re.search(r"\(codes: ([^;)]*)", README).group(1)
    assert [c.strip(" `") for c in listed.split(",")] == list(ERROR_CODES)

    def tree(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from tree(sub)

    raised = {c.code for c in tree(BridgeError) if c is not BindError}  # bind: the CLI's exit, never sent
    assert raised <= set(ERROR_CODES), raised - set(ERROR_CODES)
