"""Channel layer: in memory by default, Redis when REDIS_URL is set."""

from .env import env_str

_url = env_str("REDIS_URL")

if _url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_url], "prefix": env_str("BOARDROOM_CHANNEL_PREFIX", "boardroom")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
