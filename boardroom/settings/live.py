"""Channel layer and live fan-out: in memory by default, Redis when REDIS_URL is set."""

from .env import env_str

_url = env_str("REDIS_URL")
_prefix = env_str("BOARDROOM_CHANNEL_PREFIX", "boardroom")

# A meeting's broadcasts (event bells, presence) go through meetings.fanout: one Redis pub/sub
# subscription per server process and meeting, handed on to the process's sockets in memory.
# Empty: the embedded mode, one process, no Redis.
LIVE_FANOUT_URL = _url
LIVE_FANOUT_PREFIX = _prefix

if _url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times reads out at 5 s (channels_redis blocks for 5 s on receive) and
                # refuses past 100 pooled connections: give both room.
                "hosts": [{"address": _url, "socket_timeout": 10, "max_connections": 1000}],
                "prefix": _prefix,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
