"""The lab's commands: registered as bridge plugins, each with its own parser and bridge's error handling."""

from importlib.metadata import entry_points

import pytest

from lab import cli

COMMANDS = {"eval": cli.eval_main, "bench": cli.bench_main, "sweep": cli.sweep_main, "corpus": cli.corpus_main}


def test_commands_are_registered_as_bridge_plugins():
    eps = {ep.name: ep for ep in entry_points(group="bridge.commands")}
    for name, fn in COMMANDS.items():
        assert eps[name].load() is fn
    assert {"train", "export"} <= set(eps)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_names_the_command_and_documents_every_option(name, capsys):
    with pytest.raises(SystemExit) as e:
        COMMANDS[name](["--help"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: bridge {name}")
    parser = getattr(cli, f"{name}_parser")()
    undocumented = [a.dest for a in parser._actions if not a.help]
    assert not undocumented


def test_errors_print_bridge_message_and_exit_code(tmp_path, capsys):
    rc = cli.corpus_main(["--from-folder", str(tmp_path)])
    assert rc == 2
    assert capsys.readouterr().err.startswith("bridge: --name:")
