"""ASGI entry point: HTTP through Django, websockets through channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardroom.settings")

# Django must be set up before anything imports models (the routing does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from boardroom.websocket_origin import SameOriginValidator  # noqa: E402
from boardroom.wsauth import SocketSessionStack  # noqa: E402
from meetings.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin must match in scheme, host and port (boardroom/websocket_origin.py), before
        # anything else. Then only the session cookie is read: the consumer loads the session
        # and its user in its one database trip of admission (boardroom/wsauth.py).
        "websocket": SameOriginValidator(SocketSessionStack(URLRouter(websocket_urlpatterns))),
    }
)

# Live sockets are latency-sensitive. A full (generation 2) collection walked every object the
# process had made since it started — Django, the URL conf, the models, the app — and stalled all
# of its sockets for 100-300 ms, several times a minute, in bench/fanout.py at 500 sockets.
# What is alive once the application is built lives as long as the process: keep it out of the
# collector's walks, and collect the young generation less often (fewer passes reach the oldest).
gc.freeze()
gc.set_threshold(7000, 10, 10)
