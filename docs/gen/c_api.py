"""The C API reference, written from core/include/pylon_idv.h (stdlib only).

    python3 docs/gen/c_api.py [HEADER]     # prints the page's markdown

Every public declaration of the header, in the header's order, with its comment: each
function (a PYLON_IDV_API declaration), type (typedef), macro (#define PYLON_IDV_*) and enum
constant (PYLON_IDV_*) gets an anchor named after it (#pylon_idv_sign, #PYLON_IDV_OK). A
declaration with no comment of its own shares the comment of the group it follows (the
widget's check/size/render trio), and a function right after a section's struct shares the
section's text (the policy, the problems); one with no comment at all is an error, so the page cannot
silently lose a description. The include guard PYLON_IDV_H is not part of the API.
Run by the docs site's hook (docs/gen/hooks.py) at build time; the output is not committed.
"""
import html
import re
import sys

GUARD = "PYLON_IDV_H"


def _comment_text(block):
    """The text of a /* ... */ block, its frame stripped, lines kept."""
    body = block.strip()
    body = re.sub(r"^/\*+", "", body)
    body = re.sub(r"\*+/$", "", body)
    out = []
    for line in body.split("\n"):
        line = re.sub(r"^\s*\*( |$)", "", line.rstrip())
        out.append(line.strip() if not out or not line.startswith("  ") else line.rstrip())
    return "\n".join(out).strip()


def _trailing_comments(text):
    return " ".join(_comment_text(c) for c in re.findall(r"/\*.*?\*/", text, re.S))


def _strip_comments(text):
    return re.sub(r"[ \t]*/\*.*?\*/", "", text, flags=re.S).rstrip()


def parse(source):
    """[(kind, names, declaration, comment)], and [(section title, text)] inline as kind
    'section'. Raises ValueError on a declaration with no comment."""
    lines = source.split("\n")
    entries = []
    pending = None          # the last block comment, not yet attached
    group_comment = None    # the comment a following uncommented declaration shares
    section_text = ""       # the current section's own text (a function with no comment of
                            # its own, right after the section's struct, is described there)
    i = 0
    n = len(lines)

    def take_until(pred, start):
        j = start
        while j < n and not pred(lines[j]):
            j += 1
        return j

    while i < n:
        line = lines[i]
        s = line.strip()
        if not s:
            i += 1
            continue
        if s.startswith("/*"):
            j = take_until(lambda l: "*/" in l, i)
            block = "\n".join(lines[i:j + 1])
            text = _comment_text(block)
            if "=====" in block:
                title = re.search(r"=+\s*(.+)", text.split("\n")[0]).group(1).strip()
                rest = "\n".join(text.split("\n")[1:]).strip()
                entries.append(("section", [title[:1].upper() + title[1:]], "", rest))
                pending, section_text = None, rest
            else:
                pending = text
            i = j + 1
            continue
        if s == "#ifndef " + GUARD or s == "#define " + GUARD \
                or s.startswith("#endif /* " + GUARD) or "__cplusplus" in s \
                or s in ('extern "C" {', "}", "#endif") or s.startswith("#include"):
            i += 1
            continue
        if s.startswith("#if"):
            # a conditional definition (PYLON_IDV_API, PYLON_IDV_NODISCARD): one entry
            depth, j = 0, i
            while j < n:
                t = lines[j].strip()
                if t.startswith("#if"):
                    depth += 1
                elif t.startswith("#endif"):
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            block = "\n".join(lines[i:j + 1])
            names = []
            for m in re.finditer(r"#\s*define\s+(PYLON_IDV_\w+)", block):
                if m.group(1) not in names:
                    names.append(m.group(1))
            entries.append(("macro", names, _strip_comments(block), pending or ""))
            pending, group_comment = None, None
            i = j + 1
            continue
        m = re.match(r"#define\s+(PYLON_IDV_\w+)", s)
        if m:
            comment = _trailing_comments(line) or pending or ""
            if pending:
                group_comment = pending
            elif not comment and group_comment:
                comment = "(as above) " + group_comment.split("\n")[0]
            entries.append(("macro", [m.group(1)], _strip_comments(line).strip(), comment))
            pending = None
            i += 1
            continue
        if s.startswith("enum {"):
            j = take_until(lambda l: l.strip().startswith("};"), i)
            body = lines[i:j + 1]
            consts = []
            for b in body[1:-1]:
                for cm in re.finditer(r"(PYLON_IDV_\w+)\s*=\s*(-?\d+)", b):
                    consts.append((cm.group(1), cm.group(2), _trailing_comments(b)))
            comment = _trailing_comments(body[0]) or pending or ""
            entries.append(("enum", [c[0] for c in consts], consts, comment))
            # a comment above an enum may also describe the functions after it (diagnose)
            group_comment = pending if not _trailing_comments(body[0]) else None
            pending = None
            i = j + 1
            continue
        if s.startswith("typedef struct") and s.endswith(";") and "{" not in s:
            name = re.search(r"(\w+)\s*;", s).group(1)
            entries.append(("type", [name], s, pending or ""))
            pending, group_comment = None, None
            i += 1
            continue
        if s.startswith("typedef struct"):
            j = take_until(lambda l: l.strip().startswith("}") and l.strip().endswith(";"), i)
            decl = "\n".join(lines[i:j + 1])
            name = re.search(r"}\s*(\w+)\s*;", lines[j]).group(1)
            comment = pending or ("A struct; its members are described in the declaration."
                                  if "/*" in decl else "")
            entries.append(("type", [name], decl, comment))
            pending, group_comment = None, None
            i = j + 1
            continue
        if s.startswith("PYLON_IDV_API"):
            j = i + 1
            depth = 0
            while j < n:
                depth += lines[j].count("(") - lines[j].count(")")
                if depth == 0 and _strip_comments(lines[j]).rstrip().endswith(";"):
                    break
                j += 1
            # trailing comment lines that continue the declaration (indented /* ... */)
            k = j + 1
            while k < n and lines[k].startswith(" ") and lines[k].strip().startswith("/*"):
                k = take_until(lambda l: "*/" in l, k) + 1
            text = "\n".join(lines[i:k])
            name = re.search(r"\b(pylon_idv_\w+)\s*\(", text).group(1)
            decl = "\n".join(lines[i + 1:k])         # as in the header, its own comments kept
            attrs = lines[i].strip()
            trailing = _trailing_comments("\n".join(lines[i + 1:k]))
            comment = pending or trailing
            if pending:
                group_comment = pending
            elif not trailing and group_comment:
                comment = "(as above) " + group_comment
            elif not trailing and section_text and entries and entries[-1][0] == "type":
                comment = "(as the section says) " + section_text
            entries.append(("function", [name], attrs + "\n" + decl, comment))
            pending = None
            i = k
            continue
        raise ValueError("c_api: line %d not understood: %s" % (i + 1, s[:60]))
    for kind, names, _decl, comment in entries:
        if kind != "section" and not comment.strip():
            raise ValueError("c_api: %s has no comment in the header" % ", ".join(names))
    return entries


def _md_text(comment):
    """A comment as markdown: its text, in a plain paragraph; names and the header's own
    `quoted` code as code spans, and nothing else read as markdown (* _ [ < are literal)."""
    out = []
    for k, part in enumerate(re.split(r"(`[^`]*`)", comment)):
        if k % 2:
            out.append(part)
            continue
        pieces = re.split(r"(\b(?:pylon_idv|PYLON_IDV)_\w+(?:\(\))?)", part)
        for m, piece in enumerate(pieces):
            if m % 2:
                out.append("`%s`" % piece)
            else:
                piece = html.escape(piece, quote=False)
                out.append(re.sub(r"([\\*_\[\]#|])", r"\\\1", piece))
    return "".join(out)


def render(source):
    entries = parse(source)
    out = ["# C API", "",
           "Every public declaration of `core/include/pylon_idv.h`, in the header's order, "
           "with the header's own comment. This page is written from the header each time "
           "the site is built (`docs/gen/c_api.py`); the [C library](../c.md) page shows "
           "how the pieces fit.", ""]
    head = re.search(r"/\*(.*?)\*/", source, re.S).group(0)
    out += ["```c", "#include <pylon_idv.h>", "```", "", "> " +
            _comment_text(head).replace("\n", "\n> "), ""]
    kinds = {"function": "function", "type": "type", "macro": "macro", "enum": "constants"}
    for kind, names, decl, comment in entries:
        if kind == "section":
            out += ["## %s" % names[0], "", "```text", comment, "```", ""]
            continue
        if kind == "enum":
            first = comment.split("\n")[0]
            first = re.split(r"(?<=\?)\s|[:.;(]", first)[0].strip() or names[0]
            title = first[:1].upper() + first[1:]
        else:
            title = "`%s`" % names[0]
        out.append('### %s { #%s }' % (title, ("enum-" if kind == "enum" else "") + names[0]))
        out.append("")
        out.append("<small>%s</small>" % kinds[kind])
        out.append("")
        extra = [nm for nm in names[1:]] if kind != "enum" else []
        for nm in extra:
            out.append('<a id="%s"></a>' % nm)
        if kind == "enum":
            out += ["| constant | value | meaning |", "|---|---:|---|"]
            for cname, value, ccomment in decl:
                out.append('| <a id="%s"></a>`%s` | %s | %s |' % (
                    cname, cname, value, _md_text(ccomment).replace("|", "\\|")))
            out += ["", _md_text(comment), ""]
            continue
        out += ["```c", decl, "```", "", _md_text(comment), ""]
    return "\n".join(out)


def public_names(source):
    """Every public name the page must have an anchor for."""
    names = []
    for kind, ns, _d, _c in parse(source):
        if kind != "section":
            names += ns
    return names


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "core/include/pylon_idv.h"
    with open(path, encoding="utf-8") as f:
        sys.stdout.write(render(f.read()))
