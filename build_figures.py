#!/usr/bin/env python3
"""Train the series' autoencoders (or take them from the cache), then write results and figures into docs/.

    python build_figures.py                 # everything stale: the runs, results, probes, ledger, figures
    python build_figures.py --quick         # the published table only: five runs at seed 0 (about a minute)
    python build_figures.py --only latent-map   # re-render one figure, never training
    python build_figures.py --check         # exit 1 when docs/ is stale against the code and data
    python build_figures.py --explain       # what a build would rebuild, and why (--dry-run: and how long)
    python build_figures.py --check --verify 3  # ... and retrain 3 runs on record: the same bytes here?

This file only parses flags and shows progress; the work happens in src/autoencoders/pipeline/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE, EXIT_FAILURE, EXIT_STALE = 2, 1, 1


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit status 2, as for any bad input
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def non_negative(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def positive(text: str) -> int:
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def seed_list(text: str) -> tuple[int, ...]:
    seeds = tuple(non_negative(part) for part in text.split(",") if part.strip())
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct comma-separated seeds such as 0,1,2, got {text!r}")
    return seeds


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="build_figures.py", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="a configuration (e.g. vanilla-d32) to (re)train, or a figure (e.g. latent-map) "
                             "to re-render without training; repeat or separate with commas")
    parser.add_argument("--force", action="store_true", help="retrain (and re-render) even when cached")
    parser.add_argument("--seeds", type=seed_list, default=None,
                        help="comma-separated seeds for every configuration (default: each one's own, "
                             "10 for the published table's five and 5 for the others)")
    parser.add_argument("--epochs", type=positive, default=None, help="epochs per run (default 30)")
    parser.add_argument("--subset", type=positive, default=None,
                        help="train and evaluate on this many images only (tiny smoke runs)")
    parser.add_argument("--out", type=Path, default=None, help="write outputs under DIR instead of docs/")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where trained runs and MNIST are kept")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="an existing MNIST in torchvision's layout (DIR/MNIST/raw/*-ubyte)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the outputs are stale against the code and data (trains nothing)")
    parser.add_argument("--explain", action="store_true",
                        help="say which runs and figures a build would rebuild and why (trains nothing); "
                             "with --check, after the stale outputs")
    parser.add_argument("--dry-run", action="store_true",
                        help="list what a build would train and render, with estimated times (writes nothing)")
    parser.add_argument("--verify", type=positive, default=None, metavar="N",
                        help="retrain N runs on record from scratch and compare their bytes with the record "
                             "(alone or with --check; exit 1 when they differ)")
    parser.add_argument("--quick", action="store_true",
                        help="the published table only: its five configurations at seed 0, into .cache/quick "
                             "unless --out is given; prints the table")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    args.only = tuple(n.strip() for item in args.only for n in item.split(",") if n.strip())
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    root = Path(__file__).resolve().parent
    sys.path.insert(0, str(root / "src"))  # works before `pip install -e .` too
    # The pinned numerics (numerics.py) must be in the environment before torch or numpy loads, here and
    # in every worker this build starts: importing the package puts them there.
    import autoencoders  # noqa: F401
    from autoencoders.pipeline.engine import Options, UsageError, build, check, explain, explain_lines, plan

    options = Options()
    if args.quick and args.out is None:
        args.out = options.cache_dir / "quick"
    for name in ("out", "cache_dir", "data_dir", "seeds", "epochs", "subset", "only", "force", "quick"):
        value = getattr(args, name)
        if value not in (None, (), False):
            setattr(options, name, value)
    try:
        if args.check or args.verify:
            problems = check(options) if args.check else []
            for problem in problems:
                print(f"stale: {problem}")
            if args.check:
                print(("outputs are stale; run build_figures.py" + ("" if args.explain else " (--explain says why)"))
                      if problems else "outputs are up to date")
            for line in explain(options) if args.explain else []:
                print(line)
            same = True
            if args.verify:
                from autoencoders.pipeline.report import verify

                lines, same = verify(options, args.verify, ConsoleProgress(quiet=args.quiet))
                print("\n".join(lines))
            return EXIT_STALE if problems or not same else 0
        if args.explain or args.dry_run:  # both only read: code, the record and the cache's index
            from autoencoders.pipeline.report import dry_run

            the_plan = plan(options)
            lines = (explain_lines(the_plan) if args.explain else []) + (dry_run(options, the_plan)
                                                                         if args.dry_run else [])
            print("\n".join(lines) if lines else "nothing to rebuild")
            return 0
        report = build(options, ConsoleProgress(quiet=args.quiet))
    except UsageError as error:
        print(f"build_figures.py: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if not isinstance(error, project_errors()):
            raise
        print(f"build_figures.py: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    summarise(report)
    if args.quick:
        print((Path(options.out) / "results" / "table.md").read_text(), end="")
    return 0


ERRORS = {"autoencoders.pipeline.engine": "BuildError", "autoencoders.pipeline.store": "StoreError",
          "autoencoders.numerics": "NumericsError", "autoencoders.data": "DataError"}


def project_errors() -> tuple[type, ...]:
    """The project's error types that say what is wrong in one line, among the modules loaded so far (a
    module that never loaded raised none: looking them up this way loads no library just to catch them)."""
    return tuple(getattr(sys.modules[m], name) for m, name in ERRORS.items() if m in sys.modules)


class ConsoleProgress:
    """Progress on stderr: a bar per training run, a line per cache hit and per figure."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None

    def cache_hit(self, config):
        self._line(f"cached   {config.run_id}")

    def cache_damaged(self, config, reason):
        self._line(f"damaged  {config.run_id}: cache entry rejected ({reason}); retraining")

    def training(self, config):
        if self.quiet or not sys.stderr.isatty():  # logs get one line per run instead of a bar
            return None
        from tqdm import tqdm

        self.bar = tqdm(total=config.epochs, desc=f"training {config.run_id:<16}", unit="epoch",
                        file=sys.stderr, leave=True, dynamic_ncols=True)

        def on_epoch(epoch: int, loss: float) -> None:
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            self.bar.update(1)
        return on_epoch

    def trained(self, config, seconds):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        else:
            self._line(f"trained  {config.run_id} in {seconds:.1f} s")

    def step(self, name, status, seconds=0.0):
        self._line(f"{status:<8} {name}" + (f" in {seconds:.1f} s" if seconds else ""))

    def wrote(self, path):
        pass

    def _line(self, text):
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def summarise(report) -> None:
    s = report.seconds
    for line in report.reproduction:
        print(line)
    print(f"trained {len(report.trained)} runs, reused {len(report.cached)} from the cache, "
          f"rendered {len(report.rendered)} figures, made {len(report.made)} other outputs, "
          f"wrote {len(report.written)} files")
    print(f"time: runs {s['runs']:.1f} s, outputs {s['outputs']:.1f} s, total {s['total']:.1f} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # at any moment, imports included: outputs are only ever replaced whole
        print("\nbuild_figures.py: interrupted; every file written so far is complete, rerun to continue",
              file=sys.stderr)
        sys.exit(130)
