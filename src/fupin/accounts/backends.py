from django.contrib.auth.backends import ModelBackend

from fupin.core import clock


class LockoutBackend(ModelBackend):
    """Django's model backend that refuses an account while it is locked out."""

    def user_can_authenticate(self, user):
        if user.locked_until is not None and user.locked_until > clock.now():
            return False
        return super().user_can_authenticate(user)
