"""Content-Security-Policy helpers built from :func:`pylon_idv.csp_sources` (the C core's one
table of what Pylon's chat setup page asks for: connect-src, script-src, font-src, style-src,
img-src). Framework-neutral: nothing here imports a framework.

Merge the widget's sources into the policy your framework already has:

    # Django 6 (its own CSP)
    SECURE_CSP = pylon_idv.csp.merge_secure_csp({"default-src": [CSP.SELF]})
    # django-csp 4
    CONTENT_SECURITY_POLICY = pylon_idv.csp.merge_django_csp(
        {"DIRECTIVES": {"default-src": ["'self'"]}})
    # flask-talisman
    Talisman(app, content_security_policy=pylon_idv.csp.merge_talisman(
        {"default-src": "'self'"}))

A directive the policy lacks falls back to ``default-src`` in the browser: the merge then adds
the directive as ``default-src``'s sources plus the widget's (so what ``default-src`` allowed
stays allowed); with no ``default-src`` either, nothing restricts it and nothing is added.
``'none'`` is dropped from a directive that gains sources. Every helper returns a new policy
and leaves its argument as it was.

:func:`blocked` says what a policy would still block: ``[(directive, source, why), ...]``,
e.g. a ``style-src`` with a nonce, where browsers ignore ``'unsafe-inline'`` (which the widget
needs for its styles). The start-up checks (Django's ``pylon_idv.W003``) are built on it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple, Union

import pylon_idv

#: A policy: directive -> sources (a list, or one str of space-separated sources), or the
#: header's text.
Policy = Union[Mapping[str, Any], str]

__all__ = ["blocked", "header", "merge", "merge_django_csp", "merge_secure_csp",
           "merge_talisman", "parse"]

_KEYWORDS = ("'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'",
             "'unsafe-hashes'", "'report-sample'", "'wasm-unsafe-eval'")


def _sources(value: Any) -> List[Any]:
    """A directive's value as a list of source expressions (str: split on whitespace; other
    items kept as they are, so Django's CSP.SELF stays a CSP member)."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return list(value)


def parse(text: str) -> Dict[str, List[str]]:
    """A policy header's text as a dict: directive (lower case) -> list of sources. The
    first occurrence of a directive wins, as in browsers."""
    policy: Dict[str, List[str]] = {}
    for part in str(text).split(";"):
        words = part.split()
        if words and words[0].lower() not in policy:
            policy[words[0].lower()] = words[1:]
    return policy


def header(policy: Mapping[str, Any]) -> str:
    """The header text of a policy dict (values: lists of sources, or str)."""
    return "; ".join(" ".join([d] + _sources(v)) for d, v in policy.items())


def _covers(sources: List[Any], want: str) -> bool:
    """Whether a directive's sources allow the source expression want."""
    sources = [str(x) for x in sources]
    if want in sources:
        return True
    if want.startswith("'"):
        return False                                 # keywords only by name
    scheme, _, host = want.partition("://")
    for s in sources:
        if s == "*" and scheme in ("http", "https", "ws", "wss"):
            return True
        if s == scheme + ":":
            return True                              # a scheme source: https:, wss:
        s_scheme, _, s_host = s.partition("://")
        if s_scheme == scheme and s_host.startswith("*.") and host.endswith(s_host[1:]):
            return True                              # https://*.usepylon.com: any subdomain
    return False


# A nonce in a directive: the literal form, django-csp's NONCE, Django 6's CSP.NONCE.
_NONCE_MARKS = ("'nonce'", "<CSP_NONCE_SENTINEL>")


def _effective(policy: Mapping[str, Any], directive: str) -> Union[List[Any], None]:
    """The sources a directive really has: its own, else default-src's; None: unrestricted."""
    if directive in policy:
        return _sources(policy[directive])
    if "default-src" in policy:
        return _sources(policy["default-src"])
    return None


def blocked(policy: Policy) -> List[Tuple[str, str, str]]:
    """What policy (a dict, or a header's text) would block of the widget's sources:
    ``[(directive, source, why), ...]``, empty when the widget is fully allowed."""
    if isinstance(policy, str):
        policy = parse(policy)
    policy = {str(k).lower(): v for k, v in policy.items()}
    out: List[Tuple[str, str, str]] = []
    for directive, needed in pylon_idv.csp_sources().items():
        have = _effective(policy, directive)
        if have is None:
            continue
        via = directive if directive in policy else "default-src"
        inline_ignored = any(str(s).startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-"))
                             or str(s) in _NONCE_MARKS for s in have)
        for source in needed:
            if source == "'unsafe-inline'" and inline_ignored and _covers(have, source):
                out.append((directive, source, f"{via} has a nonce or hash, so browsers "
                                               "ignore its 'unsafe-inline'"))
            elif not _covers(have, source):
                out.append((directive, source, f"{via} does not allow it"))
    return out


def merge(policy: Policy) -> Dict[str, List[Any]]:
    """A new policy dict (directive -> list of sources) with the widget's sources added where
    the policy would block them (see the module's docstring). policy: a dict (values: lists
    or str) or a header's text."""
    if isinstance(policy, str):
        policy = parse(policy)
    out = {str(k).lower(): _sources(v) for k, v in policy.items()}
    for directive, needed in pylon_idv.csp_sources().items():
        have = _effective(out, directive)
        if have is None:
            continue
        have = [s for s in have if str(s) != "'none'"]
        for source in needed:
            if not _covers(have, source):
                have.append(source)
        out[directive] = have
    return out


def merge_secure_csp(config: Mapping[str, Any]) -> Dict[str, List[Any]]:
    """Django 6's SECURE_CSP (or SECURE_CSP_REPORT_ONLY) with the widget's sources merged:
    a new dict; ``django.utils.csp.CSP`` values (CSP.SELF, CSP.NONCE) are kept as they are."""
    return merge(dict(config or {}))


def merge_django_csp(config: Mapping[str, Any]) -> Dict[str, Any]:
    """django-csp 4's CONTENT_SECURITY_POLICY (``{"DIRECTIVES": {...}, ...}``) with the
    widget's sources merged into its DIRECTIVES: a new dict, the other keys kept."""
    config = dict(config or {})
    config["DIRECTIVES"] = merge(dict(config.get("DIRECTIVES") or {}))
    return config


def merge_talisman(policy: Policy) -> Dict[str, List[Any]]:
    """flask-talisman's content_security_policy (a dict whose values are a str or a list, or
    the header's text) with the widget's sources merged: a new dict of lists."""
    return merge(policy)
