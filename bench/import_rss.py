"""Peak memory of `hailong responses import` on a large CSV, against reading the same file whole.

    .venv/bin/python -m bench.import_rss              # a 10 MB file
    .venv/bin/python -m bench.import_rss --mb 49      # just under MAX_IMPORT_BYTES (about 2.5 minutes)

Each measurement is its own child process; RSS is its peak resident memory (ru_maxrss from wait4).
The baseline child decodes the whole file and parses it into a list of rows with Python's csv module,
the least an import that reads the whole file must hold. A file over MAX_IMPORT_BYTES is measured too:
it must be refused before it is read.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HAILONG = Path(sys.executable).with_name("hailong")
#: Words of the generated comments.
WORDS = ("Cán bộ", "nhiệt tình", "hướng dẫn", "chu đáo", "thủ tục", "nhanh gọn", "cảm ơn", "rất hài lòng",
         "chờ hơi lâu", "ghế đủ", "máy lấy số", "dễ dùng")
BASELINE = ("import csv, io, sys; text = open(sys.argv[1], 'rb').read().decode('utf-8-sig'); "
            "rows = list(csv.reader(io.StringIO(text, newline=''))); print(len(rows) - 1)")


def make_csv(path: Path, size: int) -> int:
    """Onestop rows, every statement answered and a comment, until the file reaches `size` bytes."""
    sys.path.insert(0, str(ROOT))
    from hailong.forms.questionnaire import bundled

    onestop = max((q for q in bundled().values() if q.kind == "onestop"), key=lambda q: q.version)
    codes = [s.code for s in onestop.statements] + ["overall"]
    rng = random.Random(1)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("submitted_at,point,channel," + ",".join(codes) + ",comment\r\n")
        while out.tell() < size:
            answers = ",".join(str(rng.randint(1, 5)) for _ in codes)
            comment = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
            when = f"2026-03-{1 + rows % 28:02d}T09:{rows % 60:02d}:00"
            out.write(f"{when},mc-{1 + rows % 3},paper,{answers},{comment}\r\n")
            rows += 1
    return rows


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(peak RSS MB, wall seconds, exit status, last output line) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=OUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = output.strip().splitlines()
    return usage.ru_maxrss / 1024, time.perf_counter() - started, child.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0, help="size of the accepted file in MB (default 10)")
    opts = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    limit = 50 * 1024 * 1024
    accepted = OUT / "import_rss.csv"
    too_big = OUT / "import_rss_too_big.csv"
    print(f"writing {accepted.name}: {make_csv(accepted, int(opts.mb * 1024 * 1024))} rows")
    print(f"writing {too_big.name}: {make_csv(too_big, limit + 10 * 1024 * 1024)} rows")

    template = OUT / "import_rss_template.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    env["HAILONG_SECRET_KEY"] = "bench-" + "k" * 40
    if not template.exists():
        subprocess.run([str(HAILONG), "init", "--demo"], check=True, cwd=OUT, capture_output=True,
                       env=env | {"HAILONG_DATABASE_URL": f"sqlite:///{template}"})

    print(f"{'what':<44} {'MB file':>8} {'RSS MB':>8} {'s':>7}  result")
    base = 0.0
    for name, path in (("baseline: decode + csv rows in a list", accepted),
                       ("hailong responses import", accepted),
                       ("hailong responses import, over the limit", too_big)):
        db = OUT / "import_rss_run.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, db)
        if name.startswith("baseline"):
            command = [sys.executable, "-c", BASELINE, str(path)]
        else:
            command = [str(HAILONG), "responses", "import", str(path)]
        rss, seconds, status, last = measure(command, env | {"HAILONG_DATABASE_URL": f"sqlite:///{db}"})
        if name.startswith("baseline"):
            base = rss
        print(f"{name:<44} {path.stat().st_size / 2**20:>8.1f} {rss:>8.0f} {seconds:>7.1f}  "
              f"exit {status}: {last[:70]}  ({rss / base:.2f} × baseline RSS)")


if __name__ == "__main__":
    main()
