#!/usr/bin/env bash
# Run the test suite's compiled-core tests under valgrind memcheck and report what it finds in
# fdevent's own code: invalid reads and writes, uses of uninitialised memory, and blocks
# definitely lost whose allocation stack passes through the compiled core.
#
#   bash tools/memcheck.sh [pytest -k expression]     (default: "compiled and epoll")
#
# CPython's allocator is switched to malloc (PYTHONMALLOC=malloc) so valgrind sees every
# object; interpreter-internal "possibly lost" blocks are expected and not counted. Timing
# tests run ~50x slower under valgrind, so the timing-heavy files are left out. Release builds
# have no debug info (function names only in the stacks); for file:line, build with
# rm -rf build && FDEVENT_DEBUG_INFO=1 .venv/bin/pip install -e '.[test]' first.
set -euo pipefail
cd "$(dirname "$0")/.."
expr=${1:-"compiled and epoll"}
py=${PYTHON:-$(command -v python3)}
[ -x .venv/bin/python ] && py=.venv/bin/python
# The interpreter itself, not a wrapper script (pyenv's shims are shell scripts valgrind
# would trace instead); a venv's own path is kept, so its site-packages are used.
py=$("$py" -c 'import sys; print(sys.executable)')
log=$(mktemp /tmp/fdevent-memcheck.XXXXXX)
PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --num-callers=40 --log-file="$log" \
    "$py" -m pytest -q -p no:cacheprovider -o faulthandler_timeout=0 tests -k "$expr" \
    --ignore=tests/test_examples.py --ignore=tests/test_timers.py --ignore=tests/test_stateful.py \
    --ignore=tests/test_leaks.py || true
echo "valgrind log: $log"
grep -E "ERROR SUMMARY|definitely lost" "$log" | tail -n 2
# Errors whose stack passes through fdevent's compiled modules.
ours=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|[0-9,]+ bytes in [0-9,]+ blocks are definitely)/{blk=$0; keep=0; next}
            blk && /fdevent/ {keep=1}
            blk && /^==[0-9]+== $/ {if (keep) print blk; blk=""; keep=0}' "$log" | sort | uniq -c)
if [ -n "$ours" ]; then
    echo "errors in fdevent's compiled core:"
    echo "$ours"
    exit 1
fi
echo "no memcheck error in fdevent's compiled core"
