"""The app config. Its ``path`` is the folder that holds pylon_idv's ``static/`` folder, so
Django's AppDirectoriesFinder (``collectstatic``, runserver, ``{% static %}``) finds the ONE
pylon-chat.js that the package ships (in ``pylon_idv.static_path()``), with no second copy
of it inside this app. Template tags are found by module name, so nothing else moves."""

from django.apps import AppConfig

from .conf import static_root

_path = static_root()[0]


class PylonIDVConfig(AppConfig):
    name = "pylon_idv.django"
    label = "pylon_idv"
    verbose_name = "Pylon identity verification"
    if _path is not None:
        path = _path

    def ready(self):
        from . import checks  # registers the system checks
        checks.check_at_server_start()
