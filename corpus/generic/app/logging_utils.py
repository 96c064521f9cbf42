import logging

log = logging.getLogger(__name__)
def audit(user, password):
    log.info("login user=%s password=%s", user, "***")
    log.debug(f"token={mask(password)}")
    return {"password": None, "token": ""}
