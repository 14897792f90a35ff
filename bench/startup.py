"""How long the command line takes to start: ``digestbot --help`` and ``digestbot check-config``
in fresh processes, beside ``python -c pass`` (the interpreter alone), in one run.

    python bench/startup.py [--rounds 7] [--before DIR]

Each command runs ``--rounds`` times, the commands taking turns so that a busy machine slows
them alike; the fastest run of each is kept (the least disturbed one). ``check-config`` runs in
an empty folder on an empty data folder, with no config and no secrets in the environment.
``--before DIR`` runs the same commands from another checkout (the tree before a change), side
by side. It also lists the chat platforms and SDKs each command imported, and prints PASS/FAIL
against the target: check-config in at most 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
HEAVY = ("discord", "telegram", "openai", "apscheduler", "aiohttp", "httpx", "pydantic")
SECRETS = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "LLM_API_KEY", "OPENAI_API_KEY")

SHOW_IMPORTS = (
    "import runpy, sys\n"
    "sys.argv = ['digestbot', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('bot', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))),"
    " file=sys.stderr)\n"
)


def commands(data_dir: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": ["-c", "pass"],
        "digestbot --help": ["-m", "bot", "--help"],
        "digestbot check-config": ["-m", "bot", "check-config", "--data-dir", str(data_dir)],
    }


def environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env["PYTHONPATH"] = str(tree)
    return env


def run_once(argv: list[str], tree: Path, cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, *argv],
        cwd=cwd,
        env=environment(tree),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def imported(argv: list[str], tree: Path, cwd: Path) -> str:
    if argv[0] == "-c":
        return ""
    done = subprocess.run(
        [sys.executable, "-c", SHOW_IMPORTS, *argv[2:]],
        cwd=cwd,
        env=environment(tree),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, help="another checkout to run beside this one")
    options = parser.parse_args()
    trees = {"this tree": ROOT}
    if options.before is not None:
        trees = {"before": options.before.resolve(), **trees}
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)  # no config.toml here
        argvs = commands(cwd / "data")
        best: dict[tuple[str, str], float] = {}
        for tree in trees.values():  # compiled once, so that no run pays for the bytecode
            for argv in argvs.values():
                run_once(argv, tree, cwd)
        for _ in range(options.rounds):
            for tree_name, tree in trees.items():
                for name, argv in argvs.items():
                    took = run_once(argv, tree, cwd)
                    key = (tree_name, name)
                    best[key] = min(best.get(key, took), took)
        print(f"fastest of {options.rounds} runs, in fresh processes ({sys.executable})")
        for tree_name, tree in trees.items():
            base = best[(tree_name, "python -c pass")]
            print(f"\n{tree_name} ({tree}):")
            for name, argv in argvs.items():
                took = best[(tree_name, name)]
                heavy = imported(argv, tree, cwd)
                loads = f"  imports: {heavy}" if heavy else ""
                print(f"  {name:24} {took:6.3f} s  {took / base:5.1f}× python -c pass{loads}")
        if options.before is not None:
            for name in list(argvs)[1:]:
                ratio = best[("before", name)] / best[("this tree", name)]
                print(f"{name}: {ratio:.2f}× faster than before")
        check = best[("this tree", "digestbot check-config")]
        verdict = "PASS" if check <= TARGET_S else "FAIL"
        print(f"{verdict}: check-config {check:.3f} s (target ≤ {TARGET_S} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
