#!/usr/bin/env python3
"""The Django example's manage.py. `python examples/django/manage.py rundemo` starts it (see
examples/README or the top README, "Django")."""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
