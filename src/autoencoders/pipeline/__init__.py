"""The build: one declared table of outputs (targets.py) and one loop over it (engine.py).

    fingerprint.py  what a source file means: a hash per definition, and the names each one uses
    keys.py         which definitions an output reaches, followed through the package and the recipes
    targets.py      every output, declared once: its files, what it reads, the code that makes it
    engine.py       the loop: judge every target (fresh, stale, pending) for build, --check, --explain, --dry-run
    runs.py         training side by side, the runs outputs read, what differs from the results on record
    make.py         how each kind of output is made: the only place torch, numpy or matplotlib is imported
    store.py        atomic writes, the run cache, and the record of the last build (results/build.json)
    report.py       what --dry-run estimates and --verify compares

Deciding what is stale imports none of torch, numpy and matplotlib: a build with nothing to do, and
--check, read fingerprints and JSON only.
"""
