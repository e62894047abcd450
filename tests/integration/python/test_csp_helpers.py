"""pylon_idv.csp: the merge helpers and blocked(), built from pylon_idv.csp_sources(), and
Django's W003 start-up warning naming the directive. In Chromium: ../test_csp_browser.py."""
import pytest

import pylon_idv
import pylon_idv.csp as csp

SOURCES = pylon_idv.csp_sources()
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch):
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET)
    monkeypatch.delenv("PYLON_IDENTITY_SECRET_PREVIOUS", raising=False)


def test_merge_adds_every_source_where_the_policy_restricts():
    merged = csp.merge({"default-src": ["'self'"]})
    for directive, sources in SOURCES.items():
        assert set(sources) <= set(merged[directive]), directive
    assert csp.blocked(merged) == []


def test_a_missing_directive_keeps_what_default_src_allowed():
    merged = csp.merge({"default-src": ["'self'", "https://cdn.example"]})
    assert "https://cdn.example" in merged["img-src"]          # not narrowed by the merge


def test_no_default_src_means_unrestricted_directives_stay_absent():
    merged = csp.merge("script-src 'self'")
    assert set(merged) == {"script-src"}
    assert merged["script-src"] == ["'self'", "https://widget.usepylon.com"]


def test_none_is_dropped_and_arguments_are_left_alone():
    base = {"default-src": "'none'", "img-src": ["'none'"]}
    merged = csp.merge(base)
    assert "'none'" not in merged["img-src"] and "'none'" not in merged["connect-src"]
    assert base == {"default-src": "'none'", "img-src": ["'none'"]}


def test_wildcards_and_schemes_cover():
    assert csp.blocked({"default-src": ["*", "'unsafe-inline'", "'self'"]}) == []
    assert csp.blocked({"connect-src": ["'self'", "https:", "wss:"]}) == []
    left = csp.blocked({"img-src": ["'self'", "https://*.amazonaws.com"]})
    assert [(d, s) for d, s, _ in left] == [("img-src", "https://*.usepylon.com"),
                                            ("img-src", "https://d3vl36l12sfx26.cloudfront.net")]


def test_a_nonce_in_style_src_voids_unsafe_inline():
    left = csp.blocked({"style-src": ["'self'", "'unsafe-inline'", "https://*.usepylon.com",
                                      "'nonce-abc'"]})
    assert len(left) == 1 and left[0][:2] == ("style-src", "'unsafe-inline'")
    assert "ignore" in left[0][2]


def test_framework_shapes():
    dj = csp.merge_django_csp({"DIRECTIVES": {"default-src": ["'self'"]}, "REPORT_PERCENTAGE": 5})
    assert dj["REPORT_PERCENTAGE"] == 5 and csp.blocked(dj["DIRECTIVES"]) == []
    tal = csp.merge_talisman({"default-src": "'self'", "script-src": "'self' 'unsafe-eval'"})
    assert "'unsafe-eval'" in tal["script-src"] and csp.blocked(tal) == []
    assert csp.parse(csp.header(tal)) == tal


def test_django_w003_names_the_directive():
    from django_settings import django_setup
    django_setup()
    from django.core import checks
    from django.test import override_settings
    with override_settings(SECURE_CSP={"default-src": ["'self'"],
                                       "script-src": ["'self'", "https://widget.usepylon.com"]}):
        msgs = [m for m in checks.run_checks(tags=["pylon_idv"]) if m.id == "pylon_idv.W003"]
    named = sorted(m.msg.split(" in ", 1)[1].split(":", 1)[0] for m in msgs)
    assert named == ["connect-src", "font-src", "img-src", "style-src"]
    assert all(m.level == checks.WARNING and "SECURE_CSP" in m.msg for m in msgs)
    with override_settings(SECURE_CSP=pylon_idv.csp.merge_secure_csp({"default-src": ["'self'"]}),
                           CONTENT_SECURITY_POLICY={"DIRECTIVES": {"img-src": ["'self'"]}}):
        msgs = [m for m in checks.run_checks(tags=["pylon_idv"]) if m.id == "pylon_idv.W003"]
    assert len(msgs) == 1 and "CONTENT_SECURITY_POLICY blocks the chat widget in img-src" \
        in msgs[0].msg and "merge_django_csp" in msgs[0].hint


@pytest.mark.parametrize("bad", [None, {}, ""])
def test_empty_policies(bad):
    assert csp.blocked(bad or {}) == [] and csp.merge(bad or {}) == {}
