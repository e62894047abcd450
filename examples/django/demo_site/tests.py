"""The example's own tests: `python examples/django/manage.py test demo_site` runs them, with or
without the identity secret (a CI step has none): pylon_idv's checks are warnings for `test`,
and a page without the secret renders without the chat."""
import os

from django.test import TestCase


class PageTests(TestCase):
    def test_the_page_renders(self):
        r = self.client.get("/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "pylon_idv Django example")
        has_secret = bool(os.environ.get("PYLON_IDENTITY_SECRET", "").strip())
        self.assertEqual('id="pylon-chat-settings"' in r.content.decode(), has_secret)

    def test_pylon_chat_js_is_served_by_django(self):
        r = self.client.get("/_pylon_idv/pylon-chat.js")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r["Content-Type"], "text/javascript; charset=utf-8")
