"""MkDocs hooks: the generated parts of the site, written from the sources at build time.

A page holds a marker line, replaced when the site is built (nothing generated is committed):
    <!-- generated: c-api -->      core/include/pylon_idv.h      (docs/gen/c_api.py)
    <!-- generated: man-page -->   doc/pylon-idv.1               (docs/gen/man_page.py)
    <!-- generated: lua-api -->    docs/reference/lua_api.yml    (below)
"""
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import c_api  # noqa: E402
import man_page  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def _read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def lua_api():
    spec = yaml.safe_load(_read("docs/reference/lua_api.yml"))
    out = []
    for mod in spec["modules"]:
        name = mod["module"]
        out += ["## `%s` { #%s }" % (name, name.replace(".", "-")), "", mod["intro"].strip(), "",
                "| name | call | returns |", "|---|---|---|"]
        for e in mod["names"]:
            anchor = "%s-%s" % (name.replace(".", "-"), e["name"])
            out.append('| <a id="%s"></a>`%s` | `%s` | %s |' % (
                anchor, e["name"], e["call"], e["returns"].replace("|", "\\|")))
        out.append("")
    return "\n".join(out)


GENERATORS = {
    "<!-- generated: c-api -->": lambda: c_api.render(_read("core/include/pylon_idv.h")),
    "<!-- generated: man-page -->": lambda: man_page.render(_read("doc/pylon-idv.1"), embedded=True),
    "<!-- generated: lua-api -->": lua_api,
}


def on_page_markdown(markdown, page, config, files, **kwargs):
    for marker, make in GENERATORS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


def on_config(config, **kwargs):
    # rebuild on a change of any source (mkdocs serve)
    for rel in ("core/include/pylon_idv.h", "doc/pylon-idv.1", "bindings/python/pylon_idv"):
        path = os.path.join(ROOT, rel)
        if path not in config["watch"]:
            config["watch"].append(path)
    return config
