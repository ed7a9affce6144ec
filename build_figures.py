#!/usr/bin/env python3
"""Train the series' autoencoders (or take them from the cache), then write results and figures into docs/.

    python build_figures.py                 # everything: 3 seeds x 5 configurations, the sweep, all figures
    python build_figures.py --only latent-map   # re-render one figure, never training
    python build_figures.py --check         # exit 1 when docs/ is stale against the code and data
    python build_figures.py --explain       # what a build would rebuild, and why (--dry-run: and how long)

This file only parses flags and shows progress; the work happens in src/autoencoders/build.py.
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--seeds", type=seed_list, default=None, help="comma-separated seeds (default 0,1,2)")
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
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    args.only = tuple(n.strip() for item in args.only for n in item.split(",") if n.strip())
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # works before `pip install -e .` too
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    # One thread for numpy's BLAS (PCA, probes' baselines): with torch's own pool on the same cores, more
    # threads only wait for each other (measured: a 784x784 eigh from 0.1 s to several seconds).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from autoencoders.build import BuildError, Options, UsageError, build, check, dry_run, explain
    from autoencoders.cache import CacheError
    from autoencoders.data import DataError
    from autoencoders.outputs import OutputError

    options = Options()
    for name in ("out", "cache_dir", "data_dir", "seeds", "epochs", "subset", "only", "force"):
        value = getattr(args, name)
        if value not in (None, (), False):
            setattr(options, name, value)
    try:
        if args.check:
            problems = check(options)
            for problem in problems:
                print(f"stale: {problem}")
            print(("outputs are stale; run build_figures.py" + ("" if args.explain else " (--explain says why)"))
                  if problems else "outputs are up to date")
            for line in explain(options) if args.explain else []:
                print(line)
            return EXIT_STALE if problems else 0
        if args.explain or args.dry_run:  # both only read: code, outputs and the cache's index
            lines = (explain(options) if args.explain else []) + (dry_run(options) if args.dry_run else [])
            print("\n".join(lines) if lines else "nothing to rebuild")
            return 0
        report = build(options, ConsoleProgress(quiet=args.quiet))
    except UsageError as error:
        print(f"build_figures.py: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (BuildError, DataError, CacheError, OutputError) as error:
        print(f"build_figures.py: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    summarise(report)
    return 0


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

    def figure(self, name, status, seconds=0.0):
        self._line(f"figure   {name}: {status}" + (f" in {seconds:.1f} s" if seconds else ""))

    def wrote(self, path):
        pass

    def _line(self, text):
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def summarise(report) -> None:
    s = report.seconds
    print(f"trained {len(report.trained)} runs, reused {len(report.cached)} from the cache, "
          f"rendered {len(report.rendered)} figures, wrote {len(report.written)} files")
    print(f"time: runs {s['runs']:.1f} s, figures {s['figures']:.1f} s, total {s['total']:.1f} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # at any moment, imports included: outputs are only ever replaced whole
        print("\nbuild_figures.py: interrupted; every file written so far is complete, rerun to continue",
              file=sys.stderr)
        sys.exit(130)
