"""Channel layer: in memory by default, Redis when REDIS_URL is set."""

from .env import env_str

_url = env_str("REDIS_URL")

if _url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times reads out at 5 s (channels_redis blocks for 5 s on receive) and
                # refuses past 100 pooled connections: give both room.
                "hosts": [{"address": _url, "socket_timeout": 10, "max_connections": 1000}],
                "prefix": env_str("BOARDROOM_CHANNEL_PREFIX", "boardroom"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
