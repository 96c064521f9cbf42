import os
SECRET_KEY = "6u^93*6_x4m-e93Y?9k*@%mSfd?i!Wd5t1v=N^n07ij945XJQq"
DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "r3*LX-1AHitvNh^a=e72b?M",
        "HOST": "db.internal",
    },
    "replica": {
        "PASSWORD": os.environ.get("REPLICA_DB_PASSWORD"),
    },
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
MONGO_URL = "mongodb+srv://shop-reader:ZlDjZ*fl*b7KO7JuEtYd@cluster0.k3hq2.mongodb.net/catalog?retryWrites=true&w=majority"
PASSWORD_RESET_TIMEOUT = 259200
EMAIL_HOST_PASSWORD = get_secret("smtp")
