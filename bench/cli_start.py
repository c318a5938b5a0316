"""Time `hailong indices --ward W --period P --json` as a whole process against bare processes, alternating.

    .venv/bin/python -m bench.cli_start [--url URL] [--ward an-tuong] [--period 2026] [--runs 9] [--before REV]

Each round runs one process of each, in turn (so a change in the machine's load hits them all alike):

  python          `python -c pass`: the interpreter alone
  bare query      `python -c "import psycopg; psycopg.connect(url).execute('SELECT 1')"` (bench/province.py's
                  process baseline)
  frameworks      `import flask, sqlalchemy` and the same query: what any Flask + SQLAlchemy command pays
  hailong         the command as an operator runs it (`.venv/bin/hailong`)
  hailong@REV     with --before REV: the same command on the code of git revision REV (extracted under
                  bench/out/cli_start/, put first on PYTHONPATH; it runs with this checkout's installed libraries)

and prints, per process, the median wall and CPU (user + system of the child) over the rounds, the wall's ratio
to the bare query's, and how many modules the process imported (`-X importtime`, one extra run). Every variant's
output must be byte-identical (checked on the first round). The database is only read; by default it is the
3-million-response province database that `python -m bench.province --pg --build-only` builds.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from bench.build_db import PG_BASE, ROOT

OUT = ROOT / "bench" / "out" / "cli_start"
PACKAGES = ("analysis", "forms", "migrations", "survey", "templates", "translations")
HAILONG = str(Path(sys.executable).with_name("hailong"))


def _checkout(rev: str) -> Path:
    """A PYTHONPATH folder whose `hailong` package is the code of `rev` (extracted once, compiled)."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    base = OUT / sha[:12]
    tree, package = base / "tree", base / "path" / "hailong"
    if not package.exists():
        archive = subprocess.run(["git", "archive", sha, *PACKAGES], cwd=ROOT, check=True, capture_output=True).stdout
        tree.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        _compile_catalogues(tree / "translations")
        package.mkdir(parents=True)
        for name in PACKAGES:
            (package / name).symlink_to(tree / name)
    _compile(tree)
    return base / "path"


def _compile_catalogues(folder: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)


def _compile(tree: Path) -> None:
    # An installed wheel has its bytecode compiled at install time; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module from source in each process.
    for name in ("analysis", "forms", "survey"):
        compileall.compile_dir(tree / name, quiet=1)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(wall s, CPU s of the child, stdout) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _modules(cmd: list[str], env: dict[str, str]) -> int:
    """How many modules one run imports (`-X importtime` writes a line per module)."""
    python = [sys.executable, "-X", "importtime"] + (cmd[1:] if cmd[0] == sys.executable else cmd)
    done = subprocess.run(python, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("import time:") and "[us]" not in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"{PG_BASE}/hailong_province_3000000", help="the database (only read)")
    parser.add_argument("--ward", default="an-tuong")
    parser.add_argument("--period", default="2026")
    parser.add_argument("--runs", type=int, default=9, help="rounds (each runs every process once)")
    parser.add_argument("--before", metavar="REV", help="also time the command on the code of this git revision")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_") and k != "PYTHONPATH"}
    env["HAILONG_DATABASE_URL"] = args.url
    _compile(ROOT)
    command = [sys.executable, HAILONG, "indices", "--ward", args.ward, "--period", args.period, "--json"]
    query = "import sys, psycopg; psycopg.connect(sys.argv[1]).execute('SELECT 1')"
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "python": ([sys.executable, "-c", "pass"], env),
        "bare query": ([sys.executable, "-c", query, args.url], env),
        "frameworks": ([sys.executable, "-c", "import flask, sqlalchemy; " + query, args.url], env),
        "hailong": (command, env),
    }
    if args.before:
        variants[f"hailong@{args.before}"] = (command, {**env, "PYTHONPATH": str(_checkout(args.before))})

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    outputs: dict[str, bytes] = {}
    for name, (cmd, child_env) in variants.items():  # warm-up: the page cache, PostgreSQL's buffers
        outputs[name] = _run(cmd, child_env)[2]
    commands = [name for name in variants if name.startswith("hailong")]
    if len({outputs[name] for name in commands}) != 1:
        sys.exit(f"the outputs differ: {', '.join(f'{n} {len(outputs[n])} bytes' for n in commands)}")
    for i in range(args.runs):
        order = list(variants) if i % 2 == 0 else list(reversed(variants))
        for name in order:
            cmd, child_env = variants[name]
            wall, cpu, _ = _run(cmd, child_env)
            samples[name].append((wall, cpu))
        print(f"round {i + 1}/{args.runs}: " + ", ".join(f"{n} {samples[n][-1][0]:.2f} s" for n in variants),
              file=sys.stderr)
    modules = {name: _modules(*variants[name]) for name in variants}

    reference = statistics.median(w for w, _ in samples["bare query"])
    print(f"\n`hailong indices --ward {args.ward} --period {args.period} --json` ({len(outputs['hailong']):,} bytes "
          f"of JSON{', identical' if len(commands) > 1 else ''}); {args.runs} rounds alternating; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| process | wall p50 s | wall min s | CPU p50 s | × bare query (wall p50) | modules |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in variants:
        walls, cpus = [w for w, _ in samples[name]], [c for _, c in samples[name]]
        print(f"| {name} | {statistics.median(walls):.3f} | {min(walls):.3f} | {statistics.median(cpus):.3f} | "
              f"{statistics.median(walls) / reference:.2f} | {modules[name]} |")


if __name__ == "__main__":
    main()
