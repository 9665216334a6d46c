from django.utils.functional import SimpleLazyObject

from yunlou.accounts.staff import request_staff


def staff(request):
    return {"staff": SimpleLazyObject(lambda: request_staff(request))}
