"""The command-line page, written from the man page doc/pylon-idv.1 (stdlib only).

    python3 docs/gen/man_page.py [MAN_PAGE]     # prints the markdown

Knows the man(7) macros the page uses (.TH .SH .PP .TP .RS/.RE .EX/.EE .br .nh, the font
macros .B .I .BR .IR .RB .RI .BI .IB, and \\fB \\fI \\fR \\- inline); an unknown macro is an
error, so the page never silently drops text. Run by docs/gen/hooks.py at build time.
"""
import re
import shlex
import sys


def _esc(text):
    return text.replace("\\-", "-").replace("\\(em", "\u2014").replace("\\e", "\\") \
        .replace("\\&", "").replace("\\ ", " ")


def _md_escape(text):
    return text.replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def _runs(text, font="R"):
    """roff text with \\fB/\\fI/\\fR/\\fP font changes to markdown: each run of one font
    wrapped (**bold**, *italic*), spaces kept outside the markers."""
    out = []
    for k, piece in enumerate(re.split(r"\\f([BIRP])", text)):
        if k % 2:
            font = "R" if piece == "P" else piece
            continue
        piece = _md_escape(_esc(piece))
        core = piece.strip()
        if not core or font == "R":
            out.append(piece)
            continue
        mark = "**" if font == "B" else "*"
        lead = piece[:len(piece) - len(piece.lstrip())]
        trail = piece[len(piece.rstrip()):]
        out.append(lead + mark + core + mark + trail)
    return "".join(out)


def _inline(text, code=False):
    """A line of roff text as markdown (or as plain text, inside an example)."""
    if code:
        return re.sub(r"\\f[BIRP]", "", _esc(text))
    return _runs(text)


def _fonts(macro, args):
    """.BR a b c -> bold a, roman b, bold c, ... (alternating, no spaces between); .B a b ->
    bold 'a b'."""
    lex = shlex.shlex(args or "", posix=True)
    lex.whitespace_split, lex.escape, lex.commenters = True, "", ""
    words = list(lex)
    seq = macro[1:]
    if len(seq) == 1:
        return _runs(" ".join(words), seq)
    return "".join(_runs(w, seq[k % 2]) for k, w in enumerate(words))


def render(source, embedded=False):
    """The page; embedded: no title of its own, sections one level down (###)."""
    out = []
    para = []
    in_ex = False
    tp_pending = False
    indent = 0

    def flush():
        if para:
            text = " ".join(para).strip()
            if text:
                out.append(("    " * indent if indent and not tp_pending else "") + text)
                out.append("")
            para.clear()

    for raw in source.split("\n"):
        if raw.startswith('.\\"'):
            continue
        if in_ex:
            if raw.strip() == ".EE":
                out.append("```")
                out.append("")
                in_ex = False
            else:
                out.append(_inline(raw, code=True))
            continue
        if not raw.startswith("."):
            if tp_pending:
                flush()
                out.append("**%s**" % _inline(raw).strip("*") if "**" not in _inline(raw)
                           else _inline(raw))
                out.append("")
                tp_pending = False
                continue
            para.append(_inline(raw))
            continue
        m = re.match(r"\.(\w+)\s*(.*)", raw)
        macro, args = "." + m.group(1), m.group(2)
        if macro == ".TH":
            if not embedded:
                out.append("# Command line: %s(1)" % _esc(shlex.split(args)[0]).lower())
                out.append("")
        elif macro == ".nh":
            pass
        elif macro == ".SH":
            flush()
            indent = 0
            out.append(("### " if embedded else "## ") + _esc(args.strip('"')).capitalize())
            out.append("")
        elif macro in (".PP", ".RS", ".RE"):
            flush()
        elif macro == ".br":
            if para:
                para[-1] += "<br>"
        elif macro == ".TP":
            flush()
            tp_pending = True
        elif macro == ".EX":
            flush()
            out.append("```text")
            in_ex = True
        elif macro in (".B", ".I"):
            text = _fonts(macro, args) if args else ""
            if tp_pending:
                flush()
                out.append(text)
                out.append("")
                tp_pending = False
            else:
                para.append(text)
        elif macro in (".BR", ".IR", ".RB", ".RI", ".BI", ".IB"):
            text = _fonts(macro, args)
            if tp_pending:
                flush()
                out.append(text)
                out.append("")
                tp_pending = False
            else:
                para.append(text)
        else:
            raise ValueError("man_page: macro %s not understood" % macro)
    flush()
    return "\n".join(out)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "doc/pylon-idv.1"
    with open(path, encoding="utf-8") as f:
        sys.stdout.write(render(f.read()))
