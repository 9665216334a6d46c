from django.db import models

from yunlou.core import crypto


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token and read back as plaintext.

    The ciphertext is random, so the column cannot be filtered on: pair it with a blind-index
    column (see ``crypto.blind_index``) for lookups.
    """

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull"}:
            return None
        return super().get_lookup(lookup_name)
