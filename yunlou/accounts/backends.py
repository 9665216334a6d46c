from django.contrib.auth.backends import ModelBackend

from yunlou.accounts.models import User
from yunlou.core.crypto import blind_index
from yunlou.core.phone import is_valid_phone, normalize_phone


class UsernameOrPhoneBackend(ModelBackend):
    """Password login by username, or by mobile number found through its blind index."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = None
        if is_valid_phone(username):
            user = User.objects.filter(phone_hash=blind_index(normalize_phone(username))).first()
        if user is None:
            user = User.objects.filter(username=username).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
