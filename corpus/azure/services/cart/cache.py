import os

import redis

CACHE = redis.from_url("rediss://:QcJeA%2F7xZm8lytmJB%2FPmpMLR0iAxeAbn90UzzmDvYuU%3D@redis-cart-prod.redis.cache.windows.net:6380/0")
SESSIONS = redis.Redis(host="redis-cart-prod.redis.cache.windows.net", port=6380, ssl=True, password=os.environ["REDIS_KEY"])
MANAGED = "rediss://:HyTBJtSY1EfrMEEmHXsp92onOalObcCHMtXyAVTaQPc=@amr-cart.westeurope.redis.azure.net:10000"
LOCAL = "redis://:devpassword@localhost:6379/0"


class CartSettings:
    AccountKey: str = ""  # filled from Key Vault at startup
    PrimaryKey: str = "cart_id"
