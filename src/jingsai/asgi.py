import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
application = get_asgi_application()

from jingsai.core.boot import warm_up  # noqa: E402 - needs the settings configured above

warm_up()
