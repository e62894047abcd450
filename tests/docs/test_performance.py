"""The Performance page's figures are written by `make bench`, every table included: bench/run.sh
runs each bench/bench_*.sh (the web drop-ins' bench_web.sh too), bench/page.sh writes its output
into docs/snippets/bench-results.md, and docs/performance.md includes that file."""
import glob
import os
import re

from conftest import ROOT


def _text(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def test_run_sh_runs_every_bench_script():
    parts = re.search(r"^for part in ([a-z ]+); do$", _text("bench/run.sh"), re.M)
    assert parts, "bench/run.sh has no 'for part in ...' loop over the bench scripts"
    run = set(parts.group(1).split())
    scripts = {os.path.basename(p)[len("bench_"):-len(".sh")]
               for p in glob.glob(os.path.join(ROOT, "bench/bench_*.sh"))}
    assert "web" in scripts
    assert scripts == run, "bench/run.sh runs %s, bench/ has %s" % (sorted(run), sorted(scripts))


def test_make_bench_writes_the_page_the_site_includes():
    make = _text("Makefile")
    assert "bench/page.sh $(BUILD)/bench.md docs/snippets/bench-results.md" in make
    assert '--8<-- "bench-results.md"' in _text("docs/performance.md")
    assert _text("docs/snippets/bench-results.md").startswith(
        "<!-- Written by bench/page.sh from a benchmark run: do not edit by hand. -->")
