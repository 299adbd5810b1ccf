#!/usr/bin/env python3
"""Two questions a sales manager asks, answered by `embudo metric` and by pandas, side by side.

    close_rate  --by owner, one year by month: won / (won + lost) of the deals closed each month
    sales_calls --by owner, one year by month: completed calls each month

Each side is timed as a whole process, the way a person runs it: `embudo metric ...` from
the shell, and a Python process that imports pandas, loads the columns it needs from the
same DuckDB file, and computes the same table as an analyst would. Every run is a fresh
process; the figure is the median of --runs. Before timing, the two answers are compared
cell by cell, so the speed is of the same result.

Needs `pandas` and `duckdb` (the Python package, the same DuckDB as Embudo's, 1.4):

    python3 -m venv /tmp/pandas-venv
    /tmp/pandas-venv/bin/pip install pandas 'duckdb==1.4.*'
    embudo generate --scale large --db /tmp/large.duckdb
    /tmp/pandas-venv/bin/python bench/pandas_vs_embudo.py --db /tmp/large.duckdb

The year measured is the twelve whole months before the month of the store's latest closed
deal (or --from/--to).
"""

import argparse
import csv
import io
import statistics
import subprocess
import sys
import time

QUESTIONS = ("close_rate", "sales_calls")


def pandas_answer(db, question, start, end):
    """The question answered with pandas: {(month 'YYYY-MM-01', owner name): value}."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(db, read_only=True)
    users = con.execute("SELECT id, name FROM users").df().rename(columns={"id": "owner_id"})
    if question == "close_rate":
        deals = con.execute(
            "SELECT owner_id, status, closed_at, deleted_at, merged_into_id FROM deals"
        ).df()
        deals = deals[deals.deleted_at.isna() & deals.merged_into_id.isna()]
        deals = deals[deals.status.isin(["won", "lost"])]
        deals = deals[(deals.closed_at >= start) & (deals.closed_at < end)]
        deals = deals.merge(users, on="owner_id", how="left")
        deals["month"] = deals.closed_at.dt.to_period("M").dt.start_time
        deals["won"] = deals.status == "won"
        grouped = deals.groupby(["month", "name"], dropna=False).won.agg(["sum", "count"])
        values = grouped["sum"] / grouped["count"]
    else:
        calls = con.execute("SELECT owner_id, type, completed_at FROM activities").df()
        calls = calls[calls.type == "call"]
        calls = calls[(calls.completed_at >= start) & (calls.completed_at < end)]
        calls = calls.merge(users, on="owner_id", how="left")
        calls["month"] = calls.completed_at.dt.to_period("M").dt.start_time
        values = calls.groupby(["month", "name"], dropna=False).size()
    return {
        (month.strftime("%Y-%m-01"), None if pd.isna(owner) else owner): float(value)
        for (month, owner), value in values.items()
    }


def embudo_command(embudo, db, question, start, end):
    return [embudo, "--db", db, "metric", question, "--from", start, "--to", end,
            "--grain", "month", "--by", "owner", "--format", "csv", "-q"]


def embudo_answer(embudo, db, question, start, end):
    """`embudo metric` run once: {(month, owner name): value}, empty cells left out."""
    out = subprocess.run(embudo_command(embudo, db, question, start, end),
                         check=True, capture_output=True, text=True).stdout
    rows = csv.reader(io.StringIO(out))
    next(rows)
    return {(period[:10], owner or None): float(value)
            for period, owner, value in rows if value != ""}


def same(ours, theirs, question):
    """The two answers agree on every cell both have; a cell one of them lacks is a zero
    count (a month an owner made no call) or an owner with nothing closed."""
    problems = []
    for key in sorted(set(ours) | set(theirs), key=str):
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None:
            if (a or 0.0) != 0.0 or (b or 0.0) != 0.0:
                problems.append(f"{question} {key}: embudo {a}, pandas {b}")
        elif abs(a - b) > 1e-9 * max(1.0, abs(a)):
            problems.append(f"{question} {key}: embudo {a}, pandas {b}")
    return problems


def timed(command, runs):
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def default_year(db):
    import duckdb

    con = duckdb.connect(db, read_only=True)
    latest = con.execute("SELECT max(closed_at) FROM deals").fetchone()[0]
    end = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return end.replace(year=end.year - 1).strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="a DuckDB store, e.g. generated at large")
    parser.add_argument("--embudo", default="target/release/embudo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--from", dest="start")
    parser.add_argument("--to", dest="end")
    parser.add_argument("--pandas-only", choices=QUESTIONS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pandas_only:
        # One timed pandas run: a whole process, as an analyst's script is.
        pandas_answer(args.db, args.pandas_only, args.start, args.end)
        return
    if not (args.start and args.end):
        args.start, args.end = default_year(args.db)

    import duckdb
    import pandas

    print(f"store {args.db}, {args.start} to {args.end} by month, median of {args.runs} runs")
    print(f"pandas {pandas.__version__}, duckdb {duckdb.__version__}, Python {sys.version.split()[0]}")
    print(f"{'question':<24}{'embudo':>10}{'pandas':>10}{'pandas / embudo':>18}")
    for question in QUESTIONS:
        ours = embudo_answer(args.embudo, args.db, question, args.start, args.end)
        theirs = pandas_answer(args.db, question, args.start, args.end)
        if not ours or not theirs:
            sys.exit(f"{question}: nothing in {args.start} to {args.end}; give --from and --to")
        problems = same(ours, theirs, question)
        if problems:
            sys.exit("the answers differ:\n" + "\n".join(problems[:20]))
        cells = len(set(ours) & set(theirs))
        embudo_s = timed(embudo_command(args.embudo, args.db, question, args.start, args.end), args.runs)
        pandas_s = timed([sys.executable, __file__, "--db", args.db, "--from", args.start,
                        "--to", args.end, "--pandas-only", question], args.runs)
        print(f"{question + ' --by owner':<24}{embudo_s:>9.3f}s{pandas_s:>9.3f}s{pandas_s / embudo_s:>17.1f}x"
              f"   ({cells} cells equal)")


if __name__ == "__main__":
    main()
