"""`manage.py rundemo [--port 8000]`: migrate the throw-away database, create the demo users,
then runserver on 127.0.0.1 (which runs the system checks first: a bad pylon_idv
configuration stops it with pylon_idv.E00x)."""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

USERS = [
    ("jane", "jane@example.com", "Jane", "Doe"),
    ("jorg", "jörg+chat@exämple.com", "Jörg", "</script><script>window.__pwned=1</script>"),
]


class Command(BaseCommand):
    help = "Run the pylon_idv Django example on 127.0.0.1"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--setup-only", action="store_true",
                            help="migrate and make the demo users, then stop (for uvicorn, gunicorn)")

    def handle(self, *args, port, setup_only=False, **options):
        call_command("check")                      # pylon_idv.E00x stop it here, no traceback
        call_command("migrate", interactive=False, verbosity=0)
        User = get_user_model()
        for username, email, first, last in USERS:
            User.objects.update_or_create(username=username, defaults={
                "email": email, "first_name": first, "last_name": last})
        if setup_only:
            return
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
