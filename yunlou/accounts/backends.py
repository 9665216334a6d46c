from django.contrib.auth.backends import ModelBackend

from yunlou.accounts.models import User
from yunlou.core.crypto import blind_index
from yunlou.core.phone import is_valid_phone, normalize_phone


def login_identity(request, credentials) -> str:
    """The account a login attempt is for, as django-axes counts failures (AXES_USERNAME_CALLABLE).

    A mobile number can be typed many ways (spaces, dashes, +86); counting each spelling separately
    would give every spelling its own five tries, so a number counts as the account it belongs to. The
    number itself is never what is recorded (axes keeps its attempts in the database and logs): a number
    of no account counts under its keyed hash, shown as "phone:" and the hash's start.
    """
    if credentials is None and request is not None:
        credentials = request.POST
    username = str((credentials or {}).get("username") or "")
    if is_valid_phone(username):
        index = blind_index(normalize_phone(username))
        account = User.objects.filter(phone_hash=index).first()
        return account.username if account else f"phone:{index[:16]}"
    return username


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
