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


def test_the_gpu_check_runs_its_cpu_half_and_refuses_to_pass_without_cuda(tiny_model_dir):
    import subprocess
    import sys

    from support import ROOT

    base = [sys.executable, "-m", "lab.gpu_check", "--models", str(tiny_model_dir), "--repeats", "1", "--seconds", "1"]
    r = subprocess.run(base, capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    if "provider chosen by bridge: CUDA" in r.stdout:
        pytest.skip("a GPU is here: the check runs for real")
    assert r.returncode == 1 and "no CUDA: this machine cannot prove the GPU path" in r.stdout
    r = subprocess.run(base + ["--allow-cpu"], capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "| violin | - |" in r.stdout and "RTF CPU" in r.stdout
